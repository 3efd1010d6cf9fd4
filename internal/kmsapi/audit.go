package kmsapi

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// auditRecord is one line of the audit log: who called which operation on
// which key, and how it ended. It never holds a secret: of the encryption
// context only the keys are kept (the values may be sensitive), and no
// plaintext, data key or ciphertext.
type auditRecord struct {
	Time                  time.Time `json:"time"`
	RequestID             string    `json:"request_id"`
	Principal             string    `json:"principal,omitempty"` // ARN; empty if authentication failed
	AccessKeyID           string    `json:"access_key_id,omitempty"`
	Operation             string    `json:"operation"`
	KeyID                 string    `json:"key_id,omitempty"` // key ARN once resolved, else the reference given
	EncryptionContextKeys []string  `json:"encryption_context_keys,omitempty"`
	GrantID               string    `json:"grant_id,omitempty"` // the grant that allowed the call
	Result                string    `json:"result"`             // "Success" or the AWS exception name
}

// addContextKeys adds the keys of ec to the record, sorted, without
// duplicates.
func (r *auditRecord) addContextKeys(ec map[string]string) {
	for k := range maps.Keys(ec) {
		if !slices.Contains(r.EncryptionContextKeys, k) {
			r.EncryptionContextKeys = append(r.EncryptionContextKeys, k)
		}
	}
	slices.Sort(r.EncryptionContextKeys)
}

// auditLog writes records as JSON lines, one Write per record, serialized.
// It does not fsync: a record is handed to the operating system before the
// response is sent, and a failed write fails the call.
type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (a *auditLog) write(r *auditRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("kmsapi: audit record: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.w.Write(b); err != nil {
		return fmt.Errorf("kmsapi: write audit record: %w", err)
	}
	return nil
}
