#include "textflag.h"
#include "gcm_amd64.h"

// func openStitched(rk *[240]byte, htab *[16][16]byte, acc, ctr *[16]byte, dst, src *byte, n int)
//
// ctr16 and ghash16 in one pass for Open: each 256-byte chunk of src
// (ciphertext) is folded into the GHASH state acc and XORed with the
// keystream into dst, the AES rounds interleaved with the carry-less
// multiplications so that both units work at once. dst may be src: the
// chunk is in registers before dst is written. ctr is not updated.
//
// Registers: Z0-Z3 counters (counter word little-endian), Z4-Z7 AES
// states, Z8-Z11 the chunk byte-reversed for GHASH, Z12-Z14 the lo, hi
// and middle products, Z15 a product, Z16-Z30 the round keys, Z31 acc
// (byte-reversed, upper lanes zero). Masks, increments, the powers of H
// and the polynomial are memory operands.
TEXT ·openStitched(SB), NOSPLIT, $0-56
	MOVQ rk+0(FP), AX
	MOVQ htab+8(FP), BX
	MOVQ acc+16(FP), R8
	MOVQ ctr+24(FP), DX
	MOVQ dst+32(FP), DI
	MOVQ src+40(FP), SI
	MOVQ n+48(FP), CX

	LOAD_ROUND_KEYS(AX)

	CTR_INIT(DX, ·swapctr(SB))

	VMOVDQU64 (R8), X31
	VPSHUFB ·bswap128(SB), X31, X31

loop:
	TESTQ CX, CX
	JZ done

	CTR_START(·swapctr(SB))

	VMOVDQU64 0(SI), Z8
	VMOVDQU64 64(SI), Z9
	VMOVDQU64 128(SI), Z10
	VMOVDQU64 192(SI), Z11
	VPSHUFB ·bswap128(SB), Z8, Z8
	VPSHUFB ·bswap128(SB), Z9, Z9
	VPSHUFB ·bswap128(SB), Z10, Z10
	VPSHUFB ·bswap128(SB), Z11, Z11
	VPXORQ Z31, Z8, Z8

	AES_ROUND(Z17)
	VPCLMULQDQ $0x00, 0(BX), Z8, Z12
	VPCLMULQDQ $0x11, 0(BX), Z8, Z13
	VPCLMULQDQ $0x01, 0(BX), Z8, Z14
	VPCLMULQDQ $0x10, 0(BX), Z8, Z15
	VPXORQ Z15, Z14, Z14
	AES_ROUND(Z18)
	VPCLMULQDQ $0x00, 64(BX), Z9, Z15
	VPXORQ Z15, Z12, Z12
	VPCLMULQDQ $0x11, 64(BX), Z9, Z15
	VPXORQ Z15, Z13, Z13
	AES_ROUND(Z19)
	VPCLMULQDQ $0x01, 64(BX), Z9, Z15
	VPXORQ Z15, Z14, Z14
	VPCLMULQDQ $0x10, 64(BX), Z9, Z15
	VPXORQ Z15, Z14, Z14
	AES_ROUND(Z20)
	VPCLMULQDQ $0x00, 128(BX), Z10, Z15
	VPXORQ Z15, Z12, Z12
	VPCLMULQDQ $0x11, 128(BX), Z10, Z15
	VPXORQ Z15, Z13, Z13
	AES_ROUND(Z21)
	VPCLMULQDQ $0x01, 128(BX), Z10, Z15
	VPXORQ Z15, Z14, Z14
	VPCLMULQDQ $0x10, 128(BX), Z10, Z15
	VPXORQ Z15, Z14, Z14
	AES_ROUND(Z22)
	VPCLMULQDQ $0x00, 192(BX), Z11, Z15
	VPXORQ Z15, Z12, Z12
	VPCLMULQDQ $0x11, 192(BX), Z11, Z15
	VPXORQ Z15, Z13, Z13
	AES_ROUND(Z23)
	VPCLMULQDQ $0x01, 192(BX), Z11, Z15
	VPXORQ Z15, Z14, Z14
	VPCLMULQDQ $0x10, 192(BX), Z11, Z15
	VPXORQ Z15, Z14, Z14
	AES_ROUND(Z24)

	AES_ROUND(Z25)
	AES_ROUND(Z26)
	AES_ROUND(Z27)
	GHASH_REDUCE(Z12, Y12, X12, Z13, Y13, X13, Z14, Y14, X14, ·poly(SB), X31)
	AES_ROUND(Z28)
	AES_ROUND(Z29)

	CTR_FINISH(·inc16(SB))
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JMP loop

done:
	VPSHUFB ·bswap128(SB), X31, X31
	VMOVDQU64 X31, (R8)
	VZEROUPPER
	RET
