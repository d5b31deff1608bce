/*
 * Layer 3, the audit hook (PEP 578): installed from C before CPython
 * starts, it mediates every resource event in an armed interpreter.  Uses
 * imports/ (is this support code?) and base/.
 */
#ifndef OBJCAP_AUDIT_AUDIT_H
#define OBJCAP_AUDIT_AUDIT_H

#include "base/state.h"

/* audit.c */
int ocap_audit_install(void);

#endif
