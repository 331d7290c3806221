package dispatch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// JournalEntry is one simulated call in a SimulatorJournal.
type JournalEntry struct {
	// ID is the call's id.
	ID string `json:"id"`
	// ProviderID is the simulator's id for the call.
	ProviderID string `json:"provider_id"`
	// Number is the number dialled, E.164.
	Number string `json:"number"`
	// At is when the call was placed.
	At time.Time `json:"at"`
	// PID is the process that placed it.
	PID int `json:"pid"`
}

// SimulatorJournal is an append-only file of the calls a Simulator placed,
// one JSON line each, read back when it is opened: with it the Simulator
// is idempotent, as Amazon Connect is, across restarts of the process.
// Each line is written with one write(2) on a file opened O_APPEND, so it
// survives the process being killed; it is not synced to disk, so a
// machine crash may lose the last lines.
type SimulatorJournal struct {
	mu     sync.Mutex
	f      *os.File
	placed map[string]string // call id -> provider id
}

// OpenSimulatorJournal opens, creating it if missing, the journal at path
// and reads the calls it holds.
func OpenSimulatorJournal(path string) (*SimulatorJournal, error) {
	entries, err := ReadSimulatorJournal(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dispatch: opening the simulator journal: %w", err)
	}
	if err := endLine(f, path); err != nil {
		f.Close()
		return nil, err
	}
	j := &SimulatorJournal{f: f, placed: make(map[string]string, len(entries))}
	for _, e := range entries {
		j.placed[e.ID] = e.ProviderID
	}
	return j, nil
}

// endLine ends a last line cut short by a crash, so the next entry starts
// on a line of its own.
func endLine(f *os.File, path string) error {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dispatch: opening the simulator journal: %w", err)
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, fi.Size()-1); err != nil {
		return fmt.Errorf("dispatch: reading the simulator journal: %w", err)
	}
	if last[0] != '\n' {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return fmt.Errorf("dispatch: writing the simulator journal: %w", err)
		}
	}
	return nil
}

// ReadSimulatorJournal returns every call in the journal at path, in the
// order placed. A last line cut short by a crash is skipped.
func ReadSimulatorJournal(path string) ([]JournalEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []JournalEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e JournalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.ID == "" {
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dispatch: reading the simulator journal: %w", err)
	}
	return out, nil
}

// place writes c to the journal under providerID, unless it is there
// already: then it returns the provider id recorded and placed false.
func (j *SimulatorJournal) place(c Call, providerID string) (string, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if prev, ok := j.placed[c.ID]; ok {
		return prev, false, nil
	}
	line, err := json.Marshal(JournalEntry{ID: c.ID, ProviderID: providerID, Number: c.Number, At: time.Now().UTC(), PID: os.Getpid()})
	if err != nil {
		return "", false, err
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return "", false, fmt.Errorf("dispatch: writing the simulator journal: %w", err)
	}
	j.placed[c.ID] = providerID
	return providerID, true, nil
}

// Close closes the journal's file.
func (j *SimulatorJournal) Close() error { return j.f.Close() }
