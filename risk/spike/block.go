package spike

import (
	"context"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// block adds a's temporary deny entry, unless its value is already
// denied, and audits it; the outcome goes into a.Action.
func (d *Detector) block(ctx context.Context, a *Alert) {
	st := d.o.Store
	if en, found, err := st.lists.LookupEntry(ctx, a.List, a.Value); err != nil {
		a.Action, a.Error = ActionBlockFailed, err.Error()
		return
	} else if found && en.Active(a.At) && (en.Expires.IsZero() || !en.Expires.Before(a.Until)) {
		// A lasting entry, or one outliving ours, stays as it is.
		a.Action = ActionAlreadyListed
		return
	}
	en := risk.Entry{Value: a.Value, Reason: a.Reason(), Author: Author, Created: a.At, Expires: a.Until}
	added, err := st.lists.AddEntries(ctx, a.List, []risk.Entry{en})
	if err != nil {
		a.Action, a.Error = ActionBlockFailed, err.Error()
		d.log.Error("spike: automatic block failed", slog.String("alert", a.ID), slog.Any("err", err))
		return
	}
	a.Action = ActionBlocked
	if d.o.Audit == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.o.Audit.Record(actx, Author, "", "list.add", string(a.List)+" "+a.Value, nil, added[0]); err != nil {
		d.log.Error("spike: auditing an automatic block failed", slog.String("alert", a.ID), slog.Any("err", err))
	}
}
