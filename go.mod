module github.com/sqlsift/sqlsift

go 1.26.8
