module sangsuk/loadgen

go 1.22
