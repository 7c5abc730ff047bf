package errortables_test

import (
	"errors"
	"fmt"

	"github.com/safekrb5/safekrb5/errortables"
)

// A KDC answered with KRB-ERROR error-code 24; the caller tests for it
// with errors.Is.
func ExampleKDCCode() {
	errortables.Register(errortables.KRB5Table)
	defer errortables.Release(errortables.KRB5Table)

	err := fmt.Errorf("krb5: getting initial ticket: %w",
		errortables.FromCode(errortables.KDCCode(24)).With("alice@EXAMPLE.COM", nil))
	fmt.Println(err)
	fmt.Println(errors.Is(err, errortables.ErrPreauthFailed))
	// Output:
	// krb5: getting initial ticket: pre-authentication failed: alice@EXAMPLE.COM
	// true
}

func ExampleGSSMajor_String() {
	fmt.Println(errortables.GSSDefectiveToken | errortables.GSSDuplicateToken)
	fmt.Println(errortables.GSSMajor(0x00c80000))
	// Output:
	// GSS_S_DEFECTIVE_TOKEN|GSS_S_DUPLICATE_TOKEN
	// 0xc80000
}

func ExampleNewGSSError() {
	err := errortables.NewGSSError(errortables.GSSFailure,
		errortables.ErrClockSkew.Code, "accepting context", nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, errortables.ErrGSSFailure),
		errors.Is(err, errortables.ErrClockSkew))
	// Output:
	// unspecified failure (the minor status says more): clocks differ by more than the allowed skew: accepting context
	// true true
}
