/*
 * Single-pass C decoder of a TII ftrace word stream (kscope's default
 * interpretation, shared/formats/tii-ftrace.md): reads the file in 16 MiB
 * chunks, walks the words once and counts events per type. It keeps no index,
 * so it is the floor the index build is compared with ("within 2x of a C
 * decoder"). Built by bench/run.ts with `gcc -O2`; prints one JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_WORDS (8u << 20)

static const char *NAMES[] = {"FUNC_ENTER", "FUNC_EXIT", "VMID", "UNKNOWN_MARKER", "SAFE_PTE", "SYSCALL", "VSPACE", "THREAD",
                              "RETYPE", "INIT_PT", "CREATE_OBJ", "PT_MAP", "KERNEL_ENTRY", "INTERRUPT", "KERNEL_EXIT",
                              "VM_FAULT", "USER_FAULT", "TRACEPOINT"};
static const uint16_t MARKER_WORD[] = {0xfffe, 0xfffc, 0xfffa, 0xfff8, 0xfff6, 0xfff4, 0xfff2,
                                       0xfff0, 0xffee, 0xffec, 0xffea, 0xffe8, 0xffe6, 0xffe4};
static const uint8_t MARKER_LEN[] = {4, 2, 4, 4, 5, 5, 5, 8, 4, 2, 3, 5, 4, 5};
#define NTYPES (sizeof(NAMES) / sizeof(NAMES[0]))
#define NMARKERS (sizeof(MARKER_WORD) / sizeof(MARKER_WORD[0]))

static uint8_t type_of[65536];
static uint8_t len_of[65536];

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ftrace.bin\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  for (uint32_t w = 0; w < 65536; w++) {
    len_of[w] = 1;
    if (!(w & 1) && w >= 0xff00) type_of[w] = 3;
    else if (!(w & 1) && w <= 0x01fe) type_of[w] = 2;
    else type_of[w] = (w & 1) ? 0 : 1;
  }
  for (uint32_t m = 0; m < NMARKERS; m++) {
    type_of[MARKER_WORD[m]] = (uint8_t)(4 + m);
    len_of[MARKER_WORD[m]] = MARKER_LEN[m];
  }
  uint16_t *buf = malloc((CHUNK_WORDS + 16) * sizeof(uint16_t));
  uint64_t counts[NTYPES] = {0};
  uint64_t events = 0;
  size_t carry = 0;
  for (;;) {
    size_t got = fread(buf + carry, sizeof(uint16_t), CHUNK_WORDS, f);
    size_t avail = carry + got;
    size_t i = 0;
    while (i < avail) {
      uint16_t w = buf[i];
      uint32_t l = len_of[w];
      if (i + l > avail) break;
      counts[type_of[w]]++;
      events++;
      i += l;
    }
    carry = avail - i;
    memmove(buf, buf + i, carry * sizeof(uint16_t));
    if (got == 0) break;
  }
  fclose(f);
  printf("{\"events\": %llu, \"cut_off_words\": %zu, \"types\": {", (unsigned long long)events, carry);
  for (uint32_t t = 0; t < NTYPES; t++) printf("%s\"%s\": %llu", t ? ", " : "", NAMES[t], (unsigned long long)counts[t]);
  printf("}}\n");
  free(buf);
  return 0;
}
