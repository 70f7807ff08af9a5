// insncount is a QEMU TCG plugin (QEMU 7.2's plugin API, version 1) that
// counts the guest instructions executed between marker functions, per
// translation block, so that scripts/mcu-cost.sh can tell how many
// instructions a stretch of guest code took and in which functions.
//
// Arguments (-plugin libinsncount.so,ARG=VALUE,...):
//   m1=ADDR ... m7=ADDR  entry addresses of the marker functions that open
//                        phase 1 ... 7 (decimal or 0x hex)
//   off=ADDR             entry address of the function that closes a phase
//   out=PATH             where to write the counts at exit
//   helpers=PATH         optional: a file of "START END" lines (hex), the
//                        address ranges of helper functions (memset, the
//                        allocator, …) whose instructions are also charged
//                        to the block that called into them
//   alloc=ADDR           optional: entry of the allocator; each call is
//                        counted for the block outside the helpers that led
//                        to it
//   stack=LO-HI          optional: the stack's address range (hex); the
//                        lowest address stored to in it is reported
//
// Counting is per translation block: when a block starts executing during
// a phase, all of its instructions are added to that phase (a block cut
// short by an exception is counted whole, which a hello request never
// does). At exit it writes one line per block that ran in a phase:
//   PHASE VADDR INSNS EXECS
// and PHASE 0 lines giving, for each marker, how often it was hit, and one
// line per pair of blocks that ran one after the other in a phase:
//   E PHASE FROM TO COUNT
// from which the report finds who calls a function (a block that starts at
// a function's entry, entered from a block of another function); with
// helpers=, one line per calling block with what the helpers it called ran:
//   H PHASE CALLER INSNS
// with alloc=, one line per such block with the allocator's calls:
//   A PHASE CALLER CALLS
// with stack=, the lowest address written in the stack during each phase
// and during the whole run (phase 0):
//   S PHASE ADDR INSN
// and, for every block that ran in a phase, the addresses of its
// instructions, so that the report can map them to source lines:
//   B VADDR ADDR…
//
// QEMU's own header (qemu-plugin.h) is not packaged by Debian; the few
// declarations used are written out below, as QEMU 7.2 defines them.
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t; // unused here
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw {
	QEMU_PLUGIN_MEM_R = 1,
	QEMU_PLUGIN_MEM_W,
	QEMU_PLUGIN_MEM_RW,
};
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
	void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
	enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
	enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
	enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define NPHASE 8

struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t execs[NPHASE];
	bool helper;
	uint64_t *addrs;
	struct block *next;
};

#define NHELPER 65536
static uint64_t helper_lo[NHELPER], helper_hi[NHELPER];
static int nhelper;
static uint64_t alloc_addr;
static struct block alloc_key; // tags the allocator's counts in the edge table

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;
static uint64_t marks[NPHASE]; // marks[0] is the off marker
static uint64_t hits[NPHASE];
static bool have[NPHASE];
static volatile int phase;
static char *out;
static uint64_t stack_lo, stack_hi;
static uint64_t stack_min[NPHASE];
static uint64_t stack_min_at[NPHASE]; // the instruction that stored there

static void store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	(void)vcpu, (void)info;
	if (vaddr >= stack_lo && vaddr < stack_hi) {
		int p = phase;
		if (vaddr < stack_min[p]) {
			stack_min[p] = vaddr;
			stack_min_at[p] = (uint64_t)(uintptr_t)udata;
		}
		if (vaddr < stack_min[0]) {
			stack_min[0] = vaddr;
			stack_min_at[0] = (uint64_t)(uintptr_t)udata;
		}
	}
}

// Transitions between blocks, in an open-addressed table. Only one vCPU runs
// the measured code (the others of riscv-qemu sleep in wfi), so the table
// and prev need no lock.
#define NEDGE (1 << 18)
struct edge {
	struct block *from, *to; // to is NULL for helper costs charged to from
	int phase;
	uint64_t count;
};
static struct edge *edges;
static uint64_t lost; // transitions not recorded: the table was full
static struct block *prev;
static struct block *caller; // the last block outside the helpers

static void count_edge(struct block *from, struct block *to, int p, uint64_t n)
{
	uintptr_t h = ((uintptr_t)from * 31 + (uintptr_t)to * 17 + (uintptr_t)p) >> 4;
	for (size_t i = 0; i < 64; i++) {
		struct edge *e = &edges[(h + i) & (NEDGE - 1)];
		if (e->from == from && e->to == to && e->phase == p) {
			e->count += n;
			return;
		}
		if (e->from == NULL) {
			e->from = from;
			e->to = to;
			e->phase = p;
			e->count = n;
			return;
		}
	}
	lost++;
}

static void block_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;
	int p = phase;
	if (p != 0) {
		b->execs[p]++;
		if (prev != NULL) {
			count_edge(prev, b, p, 1);
		}
		if (b->helper && caller != NULL) {
			count_edge(caller, NULL, p, b->insns);
			if (alloc_addr != 0 && b->vaddr == alloc_addr) {
				count_edge(caller, &alloc_key, p, 1);
			}
		}
	}
	if (!b->helper) {
		caller = b;
	}
	prev = b;
}

static void mark_exec(unsigned int vcpu, void *udata)
{
	int p = (int)(intptr_t)udata;
	hits[p]++;
	phase = p;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof *b);
	size_t n = qemu_plugin_tb_n_insns(tb);
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	b->addrs = calloc(n, sizeof *b->addrs);
	for (int h = 0; h < nhelper; h++) {
		if (b->vaddr >= helper_lo[h] && b->vaddr < helper_hi[h]) {
			b->helper = true;
		}
	}
	pthread_mutex_lock(&lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t a = qemu_plugin_insn_vaddr(insn);
		b->addrs[i] = a;
		if (stack_hi != 0) {
			qemu_plugin_register_vcpu_mem_cb(insn, store, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W,
				(void *)(uintptr_t)a);
		}
		for (int p = 0; p < NPHASE; p++) {
			if (have[p] && marks[p] == a) {
				qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec, QEMU_PLUGIN_CB_NO_REGS,
					(void *)(intptr_t)p);
			}
		}
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	FILE *f = fopen(out, "w");
	if (f == NULL) {
		perror(out);
		return;
	}
	for (int p = 0; p < NPHASE; p++) {
		if (have[p]) {
			fprintf(f, "0 %#" PRIx64 " %d %" PRIu64 "\n", marks[p], p, hits[p]);
		}
	}
	for (int p = 0; p < NPHASE && stack_hi != 0; p++) {
		if (stack_min[p] != UINT64_MAX) {
			fprintf(f, "S %d %#" PRIx64 " %#" PRIx64 "\n", p, stack_min[p], stack_min_at[p]);
		}
	}
	for (struct block *b = blocks; b != NULL; b = b->next) {
		bool ran = false;
		for (int p = 1; p < NPHASE; p++) {
			if (b->execs[p] != 0) {
				fprintf(f, "%d %#" PRIx64 " %" PRIu64 " %" PRIu64 "\n", p, b->vaddr, b->insns, b->execs[p]);
				ran = true;
			}
		}
		if (ran) {
			fprintf(f, "B %#" PRIx64, b->vaddr);
			for (uint64_t i = 0; i < b->insns; i++) {
				fprintf(f, " %#" PRIx64, b->addrs[i]);
			}
			fprintf(f, "\n");
		}
	}
	for (size_t i = 0; i < NEDGE; i++) {
		struct edge *e = &edges[i];
		if (e->from != NULL && e->to == &alloc_key) {
			fprintf(f, "A %d %#" PRIx64 " %" PRIu64 "\n", e->phase, e->from->vaddr, e->count);
		} else if (e->from != NULL && e->to == NULL) {
			fprintf(f, "H %d %#" PRIx64 " %" PRIu64 "\n", e->phase, e->from->vaddr, e->count);
		} else if (e->from != NULL) {
			fprintf(f, "E %d %#" PRIx64 " %#" PRIx64 " %" PRIu64 "\n", e->phase, e->from->vaddr, e->to->vaddr, e->count);
		}
	}
	if (lost != 0) {
		fprintf(stderr, "insncount: %" PRIu64 " block transitions not recorded (table full)\n", lost);
	}
	fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
	int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		if (v == NULL) {
			fprintf(stderr, "insncount: argument %s: want NAME=VALUE\n", argv[i]);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(argv[i], "out") == 0) {
			out = strdup(v);
		} else if (strcmp(argv[i], "helpers") == 0) {
			FILE *h = fopen(v, "r");
			if (h == NULL) {
				perror(v);
				return -1;
			}
			while (nhelper < NHELPER &&
				fscanf(h, "%" SCNx64 " %" SCNx64, &helper_lo[nhelper], &helper_hi[nhelper]) == 2) {
				nhelper++;
			}
			fclose(h);
		} else if (strcmp(argv[i], "stack") == 0) {
			if (sscanf(v, "%" SCNx64 "-%" SCNx64, &stack_lo, &stack_hi) != 2) {
				fprintf(stderr, "insncount: stack=%s: want LO-HI in hex\n", v);
				return -1;
			}
			for (int p = 0; p < NPHASE; p++) {
				stack_min[p] = UINT64_MAX;
			}
		} else if (strcmp(argv[i], "alloc") == 0) {
			alloc_addr = strtoull(v, NULL, 0);
		} else if (strcmp(argv[i], "off") == 0) {
			marks[0] = strtoull(v, NULL, 0);
			have[0] = true;
		} else if (argv[i][0] == 'm' && argv[i][1] >= '1' && argv[i][1] < '0' + NPHASE && argv[i][2] == '\0') {
			int p = argv[i][1] - '0';
			marks[p] = strtoull(v, NULL, 0);
			have[p] = true;
		} else {
			fprintf(stderr, "insncount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (out == NULL || !have[0]) {
		fprintf(stderr, "insncount: need out=PATH and off=ADDR\n");
		return -1;
	}
	edges = calloc(NEDGE, sizeof *edges);
	if (edges == NULL) {
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
