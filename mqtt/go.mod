module github.com/imgstream/imgstream/mqtt

go 1.25.0

require (
	github.com/eclipse/paho.mqtt.golang v1.5.1
	github.com/imgstream/imgstream v0.1.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.44.0 // indirect
	golang.org/x/sync v0.17.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
