/**
 * Verifiable tasks: prompts with known answers, scored by exact match.
 *
 * <p>Each task has a fixed held-out set (from the task's own seed) that its training methods never return, so
 * evaluation measures generalisation and not memorisation. Procedural tasks use short printable-ASCII text that a
 * character-level model with a context of about 32 tokens can learn.
 */
package troupe.trainers.tasks;
