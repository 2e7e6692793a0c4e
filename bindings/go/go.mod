module github.com/ironwal/ironwal/bindings/go

go 1.19
