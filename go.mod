module github.com/retrollama/retrollama

go 1.26
