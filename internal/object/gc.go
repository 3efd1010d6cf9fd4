package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffer-project/coffer/internal/blob"
)

const (
	defaultGCInterval = 5 * time.Second
	gcBatch           = 256
)

func (s *Service) wakeChan() chan struct{} {
	s.gcOnce.Do(func() { s.gcWake = make(chan struct{}, 1) })
	return s.gcWake
}

// nudgeGC wakes RunGC after a change that queued blobs for deletion.
func (s *Service) nudgeGC() {
	select {
	case s.wakeChan() <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// RunGC deletes queued blobs until ctx is done, waking at least every
// GCInterval and whenever a request queued blobs; it also drains once
// immediately.
func (s *Service) RunGC(ctx context.Context) {
	interval := s.GCInterval
	if interval <= 0 {
		interval = defaultGCInterval
	}
	wake := s.wakeChan()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if _, err := s.CollectGarbage(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("object: blob collection", "err", err)
		}
		t.Reset(interval)
	}
}

// CollectGarbage deletes every blob queued for deletion and returns how many
// it deleted. A blob that cannot be deleted stays queued for the next run.
func (s *Service) CollectGarbage(ctx context.Context) (int, error) {
	deleted := 0
	var failed error
	for {
		tasks, err := s.Meta.PendingTasks(ctx, gcBatch)
		if err != nil {
			return deleted, fmt.Errorf("object: pending blob deletions: %w", err)
		}
		done := make([]int64, 0, len(tasks))
		for _, t := range tasks {
			if err := s.Blobs.Delete(ctx, t.BlobID); err != nil {
				failed = errors.Join(failed, fmt.Errorf("delete blob %s: %w", t.BlobID, err))
				continue
			}
			done = append(done, t.ID)
		}
		if len(done) > 0 {
			if err := s.Meta.FinishTasks(ctx, done...); err != nil {
				return deleted, fmt.Errorf("object: finish blob deletions: %w", err)
			}
			deleted += len(done)
		}
		// Stop when the queue is drained, or when nothing in a full batch
		// could be deleted (retrying now would fail the same way).
		if len(tasks) < gcBatch || len(done) == 0 {
			return deleted, failed
		}
	}
}

// Recover runs the start-up pass: removes temp files and blobs no metadata
// refers to, then drains the deletion queue. Call before serving: a blob
// written by a request in flight is not yet referenced.
func (s *Service) Recover(ctx context.Context) error {
	if r, ok := s.Blobs.(blob.Recoverer); ok {
		n, err := r.RemoveTemp(ctx)
		if err != nil {
			return fmt.Errorf("object: recover: remove temp blobs: %w", err)
		}
		if n > 0 {
			s.log().Info("object: removed temporary blobs left by a crash", "count", n)
		}
	}
	if l, ok := s.Blobs.(blob.Lister); ok {
		var orphans []string
		err := l.Walk(ctx, func(id string) error {
			ref, err := s.Meta.BlobReferenced(ctx, id)
			if err != nil {
				return err
			}
			if !ref {
				orphans = append(orphans, id)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("object: recover: walk blobs: %w", err)
		}
		for _, id := range orphans {
			if err := s.Blobs.Delete(ctx, id); err != nil {
				return fmt.Errorf("object: recover: delete orphan blob %s: %w", id, err)
			}
		}
		if len(orphans) > 0 {
			s.log().Info("object: removed orphan blobs", "count", len(orphans))
		}
	}
	if _, err := s.CollectGarbage(ctx); err != nil {
		return fmt.Errorf("object: recover: %w", err)
	}
	return nil
}
