package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestKMSCrash SIGKILLs `coffer kms` while eight clients create keys and
// aliases, rotate keys on demand and encrypt, restarts it on the same data
// dir, and checks that every call answered with success before the crash
// survived it: each acknowledged key is Enabled, each alias names its key,
// each ciphertext decrypts to its plaintext under its key (including those
// sealed under material rotated away since), and ListKeyRotations shows at
// least the acknowledged rotations and no more than were attempted. It also
// checks that nothing is half-made: every key ListKeys or ListAliases shows
// is Enabled and can encrypt and decrypt. The crash and the checks run
// three times, each on the state the previous restart recovered.
func TestKMSCrash(t *testing.T) {
	skipIfShort(t)
	const (
		clients   = 8
		upFront   = 3
		killAfter = 80 // successful calls per round before the SIGKILL
		rounds    = 3
	)
	k := startKMS(t)
	c := k.sdk()
	h := &kmsHistory{upFront: upFront, aliases: map[string]string{}, rotated: map[string]int{}, rotationsTried: map[string]int{}}
	for i := range upFront {
		id, err := createKMSKey(t.Context(), c, fmt.Sprintf("up-front %d", i))
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		h.keys = append(h.keys, id)
		h.keysTried++
		pt := fmt.Appendf(nil, "sealed before any rotation under key %d", i)
		out, err := c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(id), Plaintext: pt})
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		h.sealed = append(h.sealed, sealedText{keyARN: aws.ToString(out.KeyId), plaintext: pt, blob: out.CiphertextBlob})
	}

	for round := 1; round <= rounds; round++ {
		crashKMSUnderLoad(t, k, h, round, clients, killAfter)
		if err := k.start(); err != nil {
			t.Fatalf("round %d: restart coffer kms after SIGKILL: %v", round, err)
		}
		h.check(t, retryingClosedConns(k.sdk()), round)
		if t.Failed() {
			return
		}
	}
}

// kmsHistory records what the KMS acknowledged, and what it was asked to
// do, before it was killed.
type kmsHistory struct {
	mu             sync.Mutex
	upFront        int               // keys[:upFront] were made before the first round
	keys           []string          // ids of keys whose CreateKey succeeded
	keysTried      int               // CreateKey calls that succeeded or went unanswered
	aliases        map[string]string // alias name → key id, for each CreateAlias that succeeded
	rotated        map[string]int    // key id → RotateKeyOnDemand calls that succeeded
	rotationsTried map[string]int    // key id → RotateKeyOnDemand calls that succeeded or went unanswered
	sealed         []sealedText      // each Encrypt that succeeded
}

type sealedText struct {
	keyARN          string
	plaintext, blob []byte
}

// randomKey returns a key id and a name to use it by: the id itself or one
// of its aliases.
func (h *kmsHistory) randomKey(rng *rand.Rand) (id, ref string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id = h.keys[rng.IntN(len(h.keys))]
	if rng.IntN(2) == 0 {
		for name, target := range h.aliases {
			if target == id {
				return id, name
			}
		}
	}
	return id, id
}

// keyToRotate returns the id of a key to rotate: half the time the first
// key, so that its 25 on-demand rotations run out within a few rounds,
// else an up-front key or now and then any.
func (h *kmsHistory) keyToRotate(rng *rand.Rand) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch rng.IntN(4) {
	case 0, 1:
		return h.keys[0]
	case 2:
		return h.keys[rng.IntN(h.upFront)]
	default:
		return h.keys[rng.IntN(len(h.keys))]
	}
}

func (h *kmsHistory) update(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

// crashKMSUnderLoad runs clients goroutines of random CreateKey,
// CreateAlias, RotateKeyOnDemand and Encrypt calls against k, SIGKILLs it
// once killAfter calls have succeeded, waits for the clients to stop and
// records every success in h.
func crashKMSUnderLoad(t *testing.T, k *kmsProcess, h *kmsHistory, round, clients, killAfter int) {
	t.Helper()
	c := k.sdk()
	var (
		answered atomic.Int32
		limited  atomic.Int32 // RotateKeyOnDemand refused with LimitExceededException
		inFlight atomic.Int32
		killing  atomic.Bool
		cut      atomic.Int32 // responses lost to the client's own closed connection
		killOnce sync.Once
		kill     = make(chan struct{})
		wg       sync.WaitGroup
	)
	// unanswered reports whether a failed call may or may not have taken
	// effect: it was cut by the kill, or the SDK's transport closed its
	// own connection while reading the response (net.ErrClosed,
	// aws/aws-sdk-go-v2#2737; these clients must not retry).
	unanswered := func(err error) bool {
		return err != nil && (killing.Load() || errors.Is(err, net.ErrClosed))
	}
	for w := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			ctx := t.Context()
			// Clients keep calling until the kill cuts them off, so that
			// calls are in flight when it lands.
			for n := 0; ; n++ {
				inFlight.Add(1)
				var err error
				var op string
				switch rng.IntN(4) {
				case 0:
					op = "CreateKey"
					var id string
					id, err = createKMSKey(ctx, c, fmt.Sprintf("round %d client %d call %d", round, w, n))
					if err == nil || unanswered(err) {
						h.update(func() {
							h.keysTried++
							if err == nil {
								h.keys = append(h.keys, id)
							}
						})
					}
				case 1:
					op = "CreateAlias"
					id, _ := h.randomKey(rng)
					name := fmt.Sprintf("alias/crash-%d-%d-%d", round, w, n)
					_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(id)})
					if err == nil {
						h.update(func() { h.aliases[name] = id })
					}
				case 2:
					op = "RotateKeyOnDemand"
					// By id or ARN only, as on AWS.
					id := h.keyToRotate(rng)
					_, err = c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: aws.String(id)})
					var limit *types.LimitExceededException
					if errors.As(err, &limit) {
						// 25 on-demand rotations per key, as on AWS.
						limited.Add(1)
						inFlight.Add(-1)
						continue
					}
					if err == nil || unanswered(err) {
						h.update(func() {
							h.rotationsTried[id]++
							if err == nil {
								h.rotated[id]++
							}
						})
					}
				case 3:
					op = "Encrypt"
					_, ref := h.randomKey(rng)
					pt := fmt.Appendf(nil, "round %d client %d call %d", round, w, n)
					var out *kms.EncryptOutput
					out, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(ref), Plaintext: pt})
					if err == nil {
						h.update(func() {
							h.sealed = append(h.sealed, sealedText{keyARN: aws.ToString(out.KeyId), plaintext: pt, blob: out.CiphertextBlob})
						})
					}
				}
				inFlight.Add(-1)
				switch {
				case err == nil:
				case killing.Load():
					return
				case errors.Is(err, net.ErrClosed):
					cut.Add(1)
					continue
				default:
					t.Errorf("round %d: %s before the kill: %v", round, op, err)
					return
				}
				if answered.Add(1) >= int32(killAfter) {
					killOnce.Do(func() { close(kill) })
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-kill:
	case <-done:
		t.Fatalf("round %d: the clients stopped after %d successful calls, before the kill", round, answered.Load())
	}
	killing.Store(true)
	pending := inFlight.Load()
	k.Kill()
	<-done
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("round %d: SIGKILL with %d calls in flight after %d successes; acknowledged so far: %d keys, %d aliases, %d ciphertexts, %d rotations (%d more refused at the limit, %d responses lost to net.ErrClosed this round)",
		round, pending, answered.Load(), len(h.keys), len(h.aliases), len(h.sealed), totalCount(h.rotated), limited.Load(), cut.Load())
}

// retryingClosedConns returns c retrying, at once and up to twice, a call
// whose response its transport cut off by closing its own connection
// (net.ErrClosed, aws/aws-sdk-go-v2#2737), as the SDK's default retryer
// does, and nothing else. The checks only read, or encrypt afresh, so a
// retry cannot skew them.
func retryingClosedConns(c *kms.Client) *kms.Client {
	return kms.New(c.Options(), func(o *kms.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			so.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				return aws.BoolTernary(errors.Is(err, net.ErrClosed))
			})}
		})
	})
}

func createKMSKey(ctx context.Context, c *kms.Client, description string) (string, error) {
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(description)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.KeyMetadata.KeyId), nil
}

// check verifies, against the restarted KMS, everything h says was
// acknowledged, and that nothing it lists is half made.
func (h *kmsHistory) check(t *testing.T, c *kms.Client, round int) {
	t.Helper()
	ctx := t.Context()
	h.mu.Lock()
	defer h.mu.Unlock()

	for _, id := range h.keys {
		if err := kmsKeyUsable(ctx, c, id); err != nil {
			t.Errorf("round %d: key %s, created before the crash: %v", round, id, err)
		}
	}
	for name, id := range h.aliases {
		out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(name)})
		switch {
		case err != nil:
			t.Errorf("round %d: alias %s, created before the crash: DescribeKey: %v", round, name, err)
		case aws.ToString(out.KeyMetadata.KeyId) != id:
			t.Errorf("round %d: alias %s names key %s, want %s", round, name, aws.ToString(out.KeyMetadata.KeyId), id)
		}
	}
	for i, s := range h.sealed {
		out, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: s.blob})
		switch {
		case err != nil:
			t.Errorf("round %d: ciphertext %d (%q under %s): Decrypt: %v", round, i, s.plaintext, s.keyARN, err)
		case !bytes.Equal(out.Plaintext, s.plaintext):
			t.Errorf("round %d: ciphertext %d: decrypts to %q, want %q", round, i, out.Plaintext, s.plaintext)
		case aws.ToString(out.KeyId) != s.keyARN:
			t.Errorf("round %d: ciphertext %d: Decrypt names key %s, want %s", round, i, aws.ToString(out.KeyId), s.keyARN)
		}
	}
	for _, id := range h.keys {
		n, err := onDemandRotations(ctx, c, id)
		switch {
		case err != nil:
			t.Errorf("round %d: ListKeyRotations %s: %v", round, id, err)
		case n < h.rotated[id] || n > h.rotationsTried[id] || n > 25:
			t.Errorf("round %d: key %s lists %d on-demand rotations; %d succeeded and %d were attempted before the crash",
				round, id, n, h.rotated[id], h.rotationsTried[id])
		}
	}

	// Keys whose CreateKey was cut by the kill may exist or not, but
	// whole: usable like any other.
	listed := map[string]bool{}
	keys := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			t.Fatalf("round %d: ListKeys: %v", round, err)
		}
		for _, e := range page.Keys {
			id := aws.ToString(e.KeyId)
			listed[id] = true
			if err := kmsKeyUsable(ctx, c, id); err != nil {
				t.Errorf("round %d: key %s in ListKeys: %v", round, id, err)
			}
		}
	}
	for _, id := range h.keys {
		if !listed[id] {
			t.Errorf("round %d: key %s, created before the crash, missing from ListKeys", round, id)
		}
	}
	if len(listed) < len(h.keys) || len(listed) > h.keysTried {
		t.Errorf("round %d: ListKeys shows %d keys; %d CreateKey calls succeeded and %d were attempted",
			round, len(listed), len(h.keys), h.keysTried)
	}
	aliases := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{})
	for aliases.HasMorePages() {
		page, err := aliases.NextPage(ctx)
		if err != nil {
			t.Fatalf("round %d: ListAliases: %v", round, err)
		}
		for _, a := range page.Aliases {
			name, target := aws.ToString(a.AliasName), aws.ToString(a.TargetKeyId)
			if !listed[target] {
				t.Errorf("round %d: alias %s names key %q, which ListKeys does not show", round, name, target)
			}
			if want, ok := h.aliases[name]; ok && want != target {
				t.Errorf("round %d: ListAliases: %s names %s, want %s", round, name, target, want)
			}
		}
	}
	t.Logf("round %d: after restart %d keys listed (%d acknowledged), %d aliases, %d ciphertexts and %d rotations checked",
		round, len(listed), len(h.keys), len(h.aliases), len(h.sealed), totalCount(h.rotated))
}

// kmsKeyUsable checks that key id is Enabled and round-trips a plaintext.
func kmsKeyUsable(ctx context.Context, c *kms.Client, id string) error {
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return fmt.Errorf("DescribeKey: %w", err)
	}
	if m := d.KeyMetadata; m.KeyState != types.KeyStateEnabled || !m.Enabled {
		return fmt.Errorf("state %s (Enabled %v), want Enabled", m.KeyState, m.Enabled)
	}
	pt := []byte("after the crash")
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: pt})
	if err != nil {
		return fmt.Errorf("Encrypt: %w", err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, KeyId: aws.String(id)})
	if err != nil {
		return fmt.Errorf("Decrypt: %w", err)
	}
	if !bytes.Equal(dec.Plaintext, pt) {
		return fmt.Errorf("Decrypt returned %q, want %q", dec.Plaintext, pt)
	}
	return nil
}

// onDemandRotations counts the ON_DEMAND entries ListKeyRotations shows
// for key id.
func onDemandRotations(ctx context.Context, c *kms.Client, id string) (int, error) {
	n := 0
	p := kms.NewListKeyRotationsPaginator(c, &kms.ListKeyRotationsInput{KeyId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, r := range page.Rotations {
			if r.RotationType == types.RotationTypeOnDemand {
				n++
			}
		}
	}
	return n, nil
}

func totalCount(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
