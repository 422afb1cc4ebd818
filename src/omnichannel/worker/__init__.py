"""`omni worker`: a registry of jobs, each with its schedule and a lease (`jobs`), the
loop that runs them (`runner`), and the thread that runs them inside `omni serve`
(`inprocess`)."""
