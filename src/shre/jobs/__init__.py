"""Background jobs: the tasks shre runs from its queue (shre.queue), and the worker that
runs them (`shre worker`, or inside the serving process with the embedded default)."""

from shre.jobs.worker import TaskSpec, register_tasks, run_worker

__all__ = ["TaskSpec", "register_tasks", "run_worker"]
