#include "textflag.h"

// func decryptCBC(dk *byte, nr int, dst, src *byte, n int, iv *byte)
//
// AX round keys, CX rounds, DI dst, SI src, DX bytes left, X9 the
// ciphertext block before the next one (the IV at first). X0-X7 hold
// eight blocks, X8 the round key of the round. Each group's ciphertext
// is read before its plaintext is stored, so dst may equal src.
TEXT ·decryptCBC(SB), NOSPLIT, $0-48
	MOVQ  dk+0(FP), AX
	MOVQ  nr+8(FP), CX
	MOVQ  dst+16(FP), DI
	MOVQ  src+24(FP), SI
	MOVQ  n+32(FP), DX
	MOVQ  iv+40(FP), R10
	MOVOU (R10), X9

eight:
	CMPQ DX, $128
	JB   one
	MOVOU (AX), X8
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	PXOR  X8, X0
	PXOR  X8, X1
	PXOR  X8, X2
	PXOR  X8, X3
	PXOR  X8, X4
	PXOR  X8, X5
	PXOR  X8, X6
	PXOR  X8, X7
	MOVQ  AX, R8
	MOVQ  CX, R9
	DECQ  R9

eightRound:
	ADDQ   $16, R8
	MOVOU  (R8), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	DECQ   R9
	JNZ    eightRound

	ADDQ       $16, R8
	MOVOU      (R8), X8
	AESDECLAST X8, X0
	AESDECLAST X8, X1
	AESDECLAST X8, X2
	AESDECLAST X8, X3
	AESDECLAST X8, X4
	AESDECLAST X8, X5
	AESDECLAST X8, X6
	AESDECLAST X8, X7
	PXOR       X9, X0
	MOVOU      0(SI), X8
	PXOR       X8, X1
	MOVOU      16(SI), X8
	PXOR       X8, X2
	MOVOU      32(SI), X8
	PXOR       X8, X3
	MOVOU      48(SI), X8
	PXOR       X8, X4
	MOVOU      64(SI), X8
	PXOR       X8, X5
	MOVOU      80(SI), X8
	PXOR       X8, X6
	MOVOU      96(SI), X8
	PXOR       X8, X7
	MOVOU      112(SI), X9
	MOVOU      X0, 0(DI)
	MOVOU      X1, 16(DI)
	MOVOU      X2, 32(DI)
	MOVOU      X3, 48(DI)
	MOVOU      X4, 64(DI)
	MOVOU      X5, 80(DI)
	MOVOU      X6, 96(DI)
	MOVOU      X7, 112(DI)
	ADDQ       $128, SI
	ADDQ       $128, DI
	SUBQ       $128, DX
	JMP        eight

one:
	CMPQ  DX, $16
	JB    done
	MOVOU (AX), X8
	MOVOU (SI), X0
	MOVOU X0, X10
	PXOR  X8, X0
	MOVQ  AX, R8
	MOVQ  CX, R9
	DECQ  R9

oneRound:
	ADDQ   $16, R8
	MOVOU  (R8), X8
	AESDEC X8, X0
	DECQ   R9
	JNZ    oneRound

	ADDQ       $16, R8
	MOVOU      (R8), X8
	AESDECLAST X8, X0
	PXOR       X9, X0
	MOVOU      X10, X9
	MOVOU      X0, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	SUBQ       $16, DX
	JMP        one

done:
	RET

// func encryptCBC(ek *byte, nr int, buf *byte, n int, iv *byte)
//
// AX round keys, CX rounds, DI buf, DX bytes left; X0 the chain (the
// last ciphertext block, the IV at first), X8 the round key of the
// round.
TEXT ·encryptCBC(SB), NOSPLIT, $0-40
	MOVQ  ek+0(FP), AX
	MOVQ  nr+8(FP), CX
	MOVQ  buf+16(FP), DI
	MOVQ  n+24(FP), DX
	MOVQ  iv+32(FP), R10
	MOVOU (R10), X0

block:
	CMPQ  DX, $16
	JB    finished
	MOVOU (DI), X1
	PXOR  X1, X0
	MOVOU (AX), X8
	PXOR  X8, X0
	MOVQ  AX, R8
	MOVQ  CX, R9
	DECQ  R9

round:
	ADDQ   $16, R8
	MOVOU  (R8), X8
	AESENC X8, X0
	DECQ   R9
	JNZ    round

	ADDQ       $16, R8
	MOVOU      (R8), X8
	AESENCLAST X8, X0
	MOVOU      X0, (DI)
	ADDQ       $16, DI
	SUBQ       $16, DX
	JMP        block

finished:
	RET

// func hasSHAExtensions() bool
TEXT ·hasSHAExtensions(SB), NOSPLIT, $0-1
	MOVL $0, AX
	CPUID
	CMPL AX, $7
	JB   noSHA
	MOVL $7, AX
	MOVL $0, CX
	CPUID
	SHRL $29, BX
	ANDL $1, BX
	MOVB BX, ret+0(FP)
	RET

noSHA:
	MOVB $0, ret+0(FP)
	RET
