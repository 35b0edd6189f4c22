/* SPDX-License-Identifier: GPL-2.0 */
/* Between the oracle's set-up (oracle.c) and its log (oracle_log.c). */
#ifndef IR_ORACLE_INTERNAL_H
#define IR_ORACLE_INTERNAL_H

/* The trace instance the events are recorded in. */
const char *oracle_instance(void);
/* The oracle stops answering: ir_oracle_off() says @what and @rc. */
void oracle_fail(const char *what, int rc);
/* Forgets every event and name (ir_oracle_stop()). */
void oracle_log_reset(void);

#endif /* IR_ORACLE_INTERNAL_H */
