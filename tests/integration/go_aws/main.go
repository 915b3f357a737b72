// A Go AWS client for the inspecting proxy's test: Go's own crypto/tls and net/http (which honour
// HTTPS_PROXY and SSL_CERT_FILE), built static with CGO_ENABLED=0 like terraform and most Go AWS
// tools. It sends SigV4-shaped requests (the guard names the service from the credential scope)
// and prints one line per call: the operation, the HTTP status and the error code if any.
//
//	go_aws ENDPOINT
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

func auth(service string) string {
	return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/" + service +
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
}

var code = regexp.MustCompile(`<Code>([A-Za-z]+)</Code>`)

func call(client *http.Client, name, method, url, service, body string) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		fmt.Println(name, "error", err)
		return
	}
	req.Header.Set("Authorization", auth(service))
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(name, "error", err)
		return
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	errorCode := "-"
	if m := code.FindSubmatch(data); m != nil {
		errorCode = string(m[1])
	}
	fmt.Println(name, resp.StatusCode, errorCode)
}

func main() {
	endpoint := os.Args[1]
	client := &http.Client{Timeout: 30 * time.Second}
	call(client, "DescribeDBInstances", "POST", endpoint+"/", "rds", "Action=DescribeDBInstances&Version=2014-10-31")
	call(client, "DeleteDBInstance", "POST", endpoint+"/", "rds",
		"Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1&SkipFinalSnapshot=true")
	call(client, "GetObject", "GET", endpoint+"/full-bucket/a.txt", "s3", "")
	call(client, "DeleteObject", "DELETE", endpoint+"/full-bucket/a.txt", "s3", "")
}
