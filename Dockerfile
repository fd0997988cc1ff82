# Builds the tandem binary into a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tandem ./cmd/tandem

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tandem /usr/local/bin/tandem
ENV TANDEM_LISTEN=:8080 TANDEM_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tandem"]
CMD ["run"]
