package tandem
import (
 _ "github.com/andygrunwald/go-jira"
 _ "github.com/hasura/go-graphql-client"
 _ "github.com/redis/go-redis/v9"
 _ "github.com/sethvargo/go-envconfig"
 _ "github.com/vektah/gqlparser/v2"
 _ "github.com/getkin/kin-openapi/openapi3filter"
 _ "pgregory.net/rapid"
 _ "github.com/yuin/goldmark"
)

