#include "textflag.h"
#include "gcm_amd64.h"

// func ctr16(rk *[240]byte, ctr *[16]byte, dst, src *byte, n int)
// n: number of 256-byte chunks. ctr: the first counter block (nonce || BE32),
// incremented as GCM does (low 32 bits, big-endian, wrapping).
TEXT ·ctr16(SB), NOSPLIT, $0-40
	MOVQ rk+0(FP), AX
	MOVQ ctr+8(FP), BX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), CX

	LOAD_ROUND_KEYS(AX)

	// Z31: the shuffle that swaps the counter word between big- and
	// little-endian in each lane; Z15: 16 added to each counter per step.
	VMOVDQU64 ·swapctr(SB), Z31
	VMOVDQU64 ·inc16(SB), Z15
	CTR_INIT(BX, Z31)

loop:
	TESTQ CX, CX
	JZ done
	CTR_START(Z31)
	AES_ROUND(Z17)
	AES_ROUND(Z18)
	AES_ROUND(Z19)
	AES_ROUND(Z20)
	AES_ROUND(Z21)
	AES_ROUND(Z22)
	AES_ROUND(Z23)
	AES_ROUND(Z24)
	AES_ROUND(Z25)
	AES_ROUND(Z26)
	AES_ROUND(Z27)
	AES_ROUND(Z28)
	AES_ROUND(Z29)
	CTR_FINISH(Z15)
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JMP loop
done:
	VZEROUPPER
	RET

// bytes 0..11 stay, 12..15 reversed, in each 16-byte lane
DATA ·swapctr+0(SB)/8, $0x0706050403020100
DATA ·swapctr+8(SB)/8, $0x0c0d0e0f0b0a0908
DATA ·swapctr+16(SB)/8, $0x0706050403020100
DATA ·swapctr+24(SB)/8, $0x0c0d0e0f0b0a0908
DATA ·swapctr+32(SB)/8, $0x0706050403020100
DATA ·swapctr+40(SB)/8, $0x0c0d0e0f0b0a0908
DATA ·swapctr+48(SB)/8, $0x0706050403020100
DATA ·swapctr+56(SB)/8, $0x0c0d0e0f0b0a0908
GLOBL ·swapctr(SB), RODATA, $64

DATA ·lane0123+0(SB)/8, $0
DATA ·lane0123+8(SB)/8, $0x0000000000000000
DATA ·lane0123+16(SB)/8, $0
DATA ·lane0123+24(SB)/8, $0x0000000100000000
DATA ·lane0123+32(SB)/8, $0
DATA ·lane0123+40(SB)/8, $0x0000000200000000
DATA ·lane0123+48(SB)/8, $0
DATA ·lane0123+56(SB)/8, $0x0000000300000000
GLOBL ·lane0123(SB), RODATA, $64

DATA ·inc4+0(SB)/8, $0
DATA ·inc4+8(SB)/8, $0x0000000400000000
DATA ·inc4+16(SB)/8, $0
DATA ·inc4+24(SB)/8, $0x0000000400000000
DATA ·inc4+32(SB)/8, $0
DATA ·inc4+40(SB)/8, $0x0000000400000000
DATA ·inc4+48(SB)/8, $0
DATA ·inc4+56(SB)/8, $0x0000000400000000
GLOBL ·inc4(SB), RODATA, $64

DATA ·inc16+0(SB)/8, $0
DATA ·inc16+8(SB)/8, $0x0000001000000000
DATA ·inc16+16(SB)/8, $0
DATA ·inc16+24(SB)/8, $0x0000001000000000
DATA ·inc16+32(SB)/8, $0
DATA ·inc16+40(SB)/8, $0x0000001000000000
DATA ·inc16+48(SB)/8, $0
DATA ·inc16+56(SB)/8, $0x0000001000000000
GLOBL ·inc16(SB), RODATA, $64
