"""One turn of the conversation, by job.

``Turn`` (turn.py) is assembled from one mixin per job: registration, commands,
choices (what a pressed or typed choice means), sites, answers, navigation and
prompts, over ``TurnBase`` (the turn's session, person, language and the run's
answers). Mixins rather than collaborator objects because every job needs the
same few things of the turn (session, person, language, the cached answers) and
calls the others' prompts; one ``self`` keeps that plain, and ``Turn.<method>``
stays one namespace that tests (and the contract suite's failure injection)
patch. A new job (review, consent, a department report form) is a new module
here plus its mixin in Turn's bases.

handlers/engine.py owns the transaction around a turn; nothing here commits.
"""
