package main

import (
	"context"
	"fmt"
	"net/http"
)

// label marks the logged decision of every callback of outs spam (an
// attack's) or legit, as an admin would on the Decisions page, adding
// nothing to the lists.
func (t *tollgate) label(ctx context.Context, outs []outcome) error {
	for _, o := range outs {
		if o.entry == "" {
			continue
		}
		label := "legit"
		if o.req.attack {
			label = "spam"
		}
		status, err := t.api(ctx, http.MethodPost, "/api/v1/admin/decisions/"+o.entry+"/"+label, t.token, nil, struct{}{}, nil)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("labelling decision %s %s: status %d: %v", o.entry, label, status, err)
		}
	}
	return nil
}

// backtestAnswer is what the simulator reads of a backtest's answer.
type backtestAnswer struct {
	Decisions      int            `json:"decisions"`
	Changed        int            `json:"changed"`
	ChangedByLabel map[string]int `json:"changed_by_label"`
	Stopped        string         `json:"stopped"`
	LegitRefused   struct {
		Count int `json:"count"`
	} `json:"legit_refused"`
	SpamAllowed struct {
		Count int `json:"count"`
	} `json:"spam_allowed"`
}

// backtest replays the decisions t recorded in the last 24 hours with
// draft, a POST /api/v1/admin/backtest body.
func (t *tollgate) backtest(ctx context.Context, draft any) (backtestAnswer, error) {
	var a backtestAnswer
	status, err := t.api(ctx, http.MethodPost, "/api/v1/admin/backtest", t.token, nil, draft, &a)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("backtest: status %d", status)
	}
	return a, err
}
