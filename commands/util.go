package commands

import (
	"encoding/json"
	"errors"
	"sort"
)

func sortStrings(s []string) { sort.Strings(s) }

func asType[T any](err error, target *T) bool { return errors.As(err, target) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
