package s3test

import (
	"testing"

	"github.com/d3s/d3s/s3"
)

func TestMemStore(t *testing.T) {
	Run(t, func(t *testing.T) s3.ObjectStore { return NewMemStore() })
}
