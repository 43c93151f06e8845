package users

import (
	"fmt"
	"path/filepath"

	"github.com/d3s/d3s/internal/fsutil"
)

// CredentialsFile is the name, in the data dir, of the AWS shared
// credentials file that holds the first user's keys.
const CredentialsFile = "credentials"

// WriteCredentialsFile writes creds as the [default] profile of an AWS
// shared credentials file in dataDir (mode 0600), replacing any earlier
// file atomically, and returns its path.
func WriteCredentialsFile(dataDir string, creds *Credentials) (string, error) {
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		creds.AccessKeyID, creds.SecretAccessKey)
	path := filepath.Join(dataDir, CredentialsFile)
	if err := fsutil.WriteFileAtomic(path, []byte(content)); err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	return path, nil
}
