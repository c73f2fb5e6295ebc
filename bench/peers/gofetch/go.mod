module gofetch

go 1.19
