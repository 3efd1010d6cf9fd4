package meta

import (
	"context"
	"fmt"
)

// EnqueueBlobs implements Store.
func (s *SQL) EnqueueBlobs(ctx context.Context, blobIDs ...string) error {
	ids := make([]string, 0, len(blobIDs))
	for _, id := range blobIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(t *txn) error {
		for _, id := range ids {
			if err := enqueue(t, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("meta: enqueue blobs: %w", err)
	}
	return nil
}

// PendingTasks implements Store. A limit ≤ 0 means no limit.
func (s *SQL) PendingTasks(ctx context.Context, limit int) ([]Task, error) {
	bd := pageBounds(ListPage{Limit: limit})
	var out []Task
	err := s.read(ctx, func(t *txn) error {
		rows, err := t.query(`SELECT id, blob_id FROM tasks ORDER BY id LIMIT ?`, bd.limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tk Task
			if err := rows.Scan(&tk.ID, &tk.BlobID); err != nil {
				return err
			}
			out = append(out, tk)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("meta: pending tasks: %w", err)
	}
	return out, nil
}

// FinishTasks implements Store. Unknown IDs are ignored.
func (s *SQL) FinishTasks(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(t *txn) error {
		for _, id := range ids {
			if _, err := t.exec(`DELETE FROM tasks WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("meta: finish tasks: %w", err)
	}
	return nil
}

// BlobReferenced implements Store.
func (s *SQL) BlobReferenced(ctx context.Context, blobID string) (bool, error) {
	if blobID == "" {
		return false, nil
	}
	var used bool
	err := s.read(ctx, func(t *txn) (err error) {
		used, err = t.exists(partRefQuery+` UNION ALL SELECT 1 FROM tasks WHERE blob_id = ? LIMIT 1`, blobID, blobID, blobID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("meta: blob referenced %s: %w", blobID, err)
	}
	return used, nil
}
