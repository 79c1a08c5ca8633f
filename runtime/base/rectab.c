/* rectab.c — see rectab.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rectab.h"
#include "siphash.h"

#define RECTAB_MIN 64u /* first size; the table doubles at half full */

static uint32_t home(const struct rec_table *t, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    return tuple_hash(t->hasher, la, lp, ra, rp) & t->mask;
}

int rectab_init(struct rec_table *t, uint32_t max, struct tuple_hasher *hasher)
{
    t->slot = calloc(RECTAB_MIN, sizeof *t->slot);
    if (!t->slot) return -ENOMEM;
    t->mask = RECTAB_MIN - 1;
    t->n = 0;
    t->max = max;
    t->hasher = hasher;
    return 0;
}

/* Double the table, rehashing every record. */
static int grow(struct rec_table *t)
{
    uint64_t size = (uint64_t)t->mask + 1;
    if (size >= ((uint64_t)1 << 31)) return -ENOMEM;
    struct rec_key **ns = calloc(size * 2, sizeof *ns);
    if (!ns) return -ENOMEM;
    struct rec_key **old = t->slot;
    t->slot = ns;
    t->mask = (uint32_t)(size * 2 - 1);
    for (uint64_t i = 0; i < size; i++) {
        struct rec_key *r = old[i];
        if (!r) continue;
        uint32_t j = home(t, r->laddr, r->lport, r->raddr, r->rport);
        while (t->slot[j])
            j = (j + 1) & t->mask;
        t->slot[j] = r;
    }
    free(old);
    return 0;
}

int rectab_reserve(struct rec_table *t)
{
    if (t->n >= t->max) return -ENOSPC;
    uint64_t size = (uint64_t)t->mask + 1;
    if ((uint64_t)(t->n + 1) * 2 <= size) return 0;
    if (!grow(t)) return 0;
    return (uint64_t)(t->n + 1) * 4 <= size * 3 ? 0 : -ENOMEM; /* still room at 3/4 */
}

void rectab_destroy(struct rec_table *t)
{
    for (uint32_t i = 0; t->slot && i <= t->mask; i++)
        free(t->slot[i]);
    free(t->slot);
    t->slot = NULL;
    t->n = 0;
}

struct rec_key *rectab_lookup(const struct rec_table *t, uint32_t la, uint16_t lp, uint32_t ra,
                              uint16_t rp)
{
    if (!t->n) return NULL;
    for (uint32_t i = home(t, la, lp, ra, rp);; i = (i + 1) & t->mask) {
        struct rec_key *r = t->slot[i];
        if (!r) return NULL;
        if (r->lport == lp && r->rport == rp && r->laddr == la && r->raddr == ra) return r;
    }
}

void rectab_insert(struct rec_table *t, struct rec_key *r)
{
    rectab_insert_hashed(t, r, tuple_hash(t->hasher, r->laddr, r->lport, r->raddr, r->rport));
}

void rectab_insert_hashed(struct rec_table *t, struct rec_key *r, uint32_t hash)
{
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1) (void)grow(t);
    uint32_t i = hash & t->mask;
    while (t->slot[i])
        i = (i + 1) & t->mask;
    t->slot[i] = r;
    t->n++;
}

void rectab_remove(struct rec_table *t, struct rec_key *r)
{
    uint32_t m = t->mask, i = home(t, r->laddr, r->lport, r->raddr, r->rport);
    while (t->slot[i] != r)
        i = (i + 1) & m;
    t->slot[i] = NULL;
    /* Backward-shift deletion (Knuth 6.4 Algorithm R): move later entries of the probe run
     * into the hole when their home slot does not lie between the hole and them. */
    for (uint32_t j = (i + 1) & m; t->slot[j]; j = (j + 1) & m) {
        struct rec_key *k = t->slot[j];
        uint32_t h = home(t, k->laddr, k->lport, k->raddr, k->rport);
        if (((j - h) & m) >= ((j - i) & m)) {
            t->slot[i] = k;
            t->slot[j] = NULL;
            i = j;
        }
    }
    t->n--;
}

uint64_t rectab_min_deadline(const struct rec_table *t)
{
    uint64_t min = UINT64_MAX;
    for (uint32_t i = 0; t->slot && i <= t->mask; i++)
        if (t->slot[i] && wheel_armed(&t->slot[i]->timer) && t->slot[i]->timer.expires < min)
            min = t->slot[i]->timer.expires;
    return min;
}
