package pseudonym

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"testimony/internal/durable"
)

// Registry records which pseudonym each person has received, so that no two
// people of an organisation ever share one, whichever notes they appear in.
// It is keyed by a keyed hash of the person's canonical identity, so it
// holds no real name: without the pseudonym key nobody can tell whose entry
// is whose. Desks of one organisation may share it.
//
// A Registry is not safe for concurrent use.
type Registry struct {
	Format  string                   `json:"format"`
	Entries map[string]registryEntry `json:"entries"` // keyed hash (hex) → pseudonym
	changed bool
}

type registryEntry struct {
	Surname string `json:"surname"`
	Given   string `json:"given"`
}

// RegistryFormat names the registry's format.
const RegistryFormat = "testimony-pseudonym-registry-v1"

// LoadRegistry reads the registry at path; a missing file is an empty
// registry.
func LoadRegistry(path string) (*Registry, error) {
	r := &Registry{Format: RegistryFormat, Entries: map[string]registryEntry{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the pseudonym registry: %w", err)
	}
	if err := json.Unmarshal(b, r); err != nil || r.Format != RegistryFormat || r.Entries == nil {
		return nil, fmt.Errorf("%s is not a pseudonym registry (%s)", path, RegistryFormat)
	}
	for k, e := range r.Entries {
		if _, err := hex.DecodeString(k); err != nil || len(k) != 32 || !allHangul(e.Surname) || !allHangul(e.Given) {
			return nil, fmt.Errorf("%s: malformed entry %q", path, k)
		}
	}
	return r, nil
}

// Save writes the registry to path atomically, if it changed.
func (r *Registry) Save(path string) error {
	if !r.changed {
		return nil
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := durable.Replace(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("failed to write the pseudonym registry: %w", err)
	}
	r.changed = false
	return nil
}

// taken returns the keys of the entries, by pseudonym.
func (r *Registry) taken() map[string]string {
	m := make(map[string]string, len(r.Entries))
	keys := make([]string, 0, len(r.Entries))
	for k := range r.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := r.Entries[k]
		m[canonicalHangul(e.Surname+e.Given)] = k
	}
	return m
}

// registryKey is the registry's key for a canonical identity.
func registryKey(key Keyed, canon string) string {
	m := key.MAC([]byte("testimony registry v1\x00person\x00" + canon))
	return hex.EncodeToString(m[:16])
}
