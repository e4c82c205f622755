"""Each route's dependencies solved by a plan made once, not by FastAPI's walk of the route's dependency tree.

FastAPI 0.165 solves a request's dependencies anew for every request (`fastapi.dependencies.utils.
solve_dependencies`): for each node of the route's tree it asks again whether the call is a generator, a
coroutine or a security scheme, rebuilds its cache key (scopes sorted into a tuple), looks for overrides, and
validates four empty parameter lists; and it walks a cached dependency's whole subtree again before it finds the
answer in the cache. A write's tree (`writing_principal`, `get_principal` twice, `bearer` and `session_cookie`
twice each, `get_platform`) took nine such walks, about two thirds of FastAPI's own CPU a request in process.

A `Plan` answers those questions once per route: the sub-dependencies in their order with their calls, keys and
kinds, and only the parameter lists that are not empty. It solves in FastAPI's order and to FastAPI's result (the
same values and errors, in the same order: a sub-dependency that fails is not called and its errors come first;
a cached answer is reused, and a subtree that validates nothing is not walked again for it), and it is used only
for the apps `plan` was given, without dependency overrides, and for trees of plain functions (no generators, no
scopes or limits of concurrency, no security scopes, no background tasks): any other request is solved by FastAPI.

A plain optional text header (a write's `Prefer`) is read straight from the request's headers: FastAPI looked its
aliases and annotation up again and validated the text as text on every request, about a quarter of a write's
solving; its value is the same (the header's text, or None when absent).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import (
    Dependant,
    _get_cache_key,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from fastapi.dependencies.utils import (
    SolvedDependency,
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    request_body_to_args,
    request_params_to_args,
    solve_dependencies,
)
from fastapi.params import Header
from fastapi.types import DependencyCacheKey
from pydantic.fields import FieldInfo

_SOLVE_BY_FASTAPI = solve_dependencies  # what FastAPI's request handler calls, and calls again for what no plan solves
_PLANNED: weakref.WeakSet[FastAPI] = weakref.WeakSet()  # the apps whose routes are solved by plans
_PLANS: dict[int, tuple[Dependant, Plan | None]] = {}  # by the dependant's id, with it (None: FastAPI solves it)
_NO_BODY: Any = object()  # a caller of the solver other than the request handler (which always passes the body)


@dataclass(frozen=True, slots=True)
class _Step:
    """One sub-dependency of a plan, as FastAPI would find it out on every request."""

    plan: Plan
    call: Callable[..., Any]
    name: str | None
    key: DependencyCacheKey
    use_cache: bool
    awaited: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """How to solve one dependant: its sub-dependencies in order, then its own non-empty parameter lists."""

    steps: tuple[_Step, ...]
    dependant: Dependant
    repeats: bool  # solving it again finds errors or calls something anew (it validates, or a call is not cached)
    texts: tuple[tuple[str, str], ...]  # plain optional text headers, by parameter name and header name
    headers: tuple[Any, ...]  # the other header parameters, validated by FastAPI

    async def solve(
        self, request: Request, body: Any, response: Response, cache: dict[DependencyCacheKey, Any], embed: bool
    ) -> tuple[dict[str, Any], list[Any]]:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for step in self.steps:
            if step.use_cache and step.key in cache and not step.plan.repeats:
                solved = cache[step.key]  # FastAPI walks the subtree again first, to find the same answers cached
            else:
                sub_values, sub_errors = await step.plan.solve(request, body, response, cache, embed)
                if sub_errors:
                    errors.extend(sub_errors)
                    continue
                if step.use_cache and step.key in cache:
                    solved = cache[step.key]
                elif step.awaited:
                    solved = await step.call(**sub_values)
                else:
                    solved = await run_in_threadpool(step.call, **sub_values)
                cache.setdefault(step.key, solved)
            if step.name is not None:
                values[step.name] = solved
        dependant = self.dependant
        for name, header in self.texts:
            values[name] = request.headers.get(header)
        for fields, received in (
            (dependant.path_params, lambda: request.path_params),
            (dependant.query_params, lambda: request.query_params),
            (self.headers, lambda: request.headers),
            (dependant.cookie_params, lambda: request.cookies),
        ):
            if fields:
                found, invalid = request_params_to_args(fields, received())
                values.update(found)
                errors += invalid
        if dependant.body_params:
            found, invalid = await request_body_to_args(
                body_fields=dependant.body_params, received_body=body, embed_body_fields=embed
            )
            values.update(found)
            errors.extend(invalid)
        if dependant.http_connection_param_name:
            values[dependant.http_connection_param_name] = request
        if dependant.request_param_name:
            values[dependant.request_param_name] = request
        if dependant.response_param_name:
            values[dependant.response_param_name] = response
        return values, errors


def _plannable(dependant: Dependant) -> bool:
    """Whether a plan solves the dependant as FastAPI does: its parameters plain, its dependencies plain functions
    (not generators, whose scope decides when they close, nor calls limited in concurrency) all the way down."""
    return (
        dependant.security_scopes_param_name is None
        and dependant.websocket_param_name is None
        and dependant.background_tasks_param_name is None
        and all(
            sub.call is not None
            and not _is_gen_callable(sub.call)
            and not _is_async_gen_callable(sub.call)
            and sub.concurrency is None
            and _plannable(sub)
            for sub in dependant.dependencies
        )
    )


_TEXT = (str, str | None)


def _plain_text(field: Any) -> str | None:
    """The header name of a parameter that FastAPI would solve to the header's text or None: an optional `str`
    header without constraints, aliases or default but None (its value validated as text is the text itself)."""
    info: FieldInfo = field.field_info
    if not (
        isinstance(info, Header)
        and info.annotation in _TEXT
        and not info.metadata
        and not info.is_required()
        and info.default is None
        and not info.validate_default
        and _get_param_model(field) is None
        and not _is_json_field(field)
    ):
        return None
    aliases = _get_param_aliases(field)
    return aliases[0][1] if len(aliases) == 1 else None


def _plan_of(dependant: Dependant) -> Plan:
    steps = tuple(
        _Step(
            plan=_plan_of(sub),
            call=sub.call,  # type: ignore[arg-type]  # _plannable: never None
            name=sub.name,
            key=_get_cache_key(dependant=sub),
            use_cache=sub.use_cache,
            awaited=_is_coroutine_callable(sub.call),
        )
        for sub in dependant.dependencies
    )
    parameters = (dependant.path_params, dependant.query_params, dependant.header_params, dependant.cookie_params)
    repeats = (
        any(parameters) or bool(dependant.body_params) or any(not step.use_cache or step.plan.repeats for step in steps)
    )
    texts: list[tuple[str, str]] = []
    headers: list[Any] = []
    for field in dependant.header_params:
        header = _plain_text(field)
        if header is None:
            headers.append(field)
        else:
            texts.append((field.name, header))
    return Plan(steps, dependant, repeats, tuple(texts), tuple(headers))


def plan_for(dependant: Dependant) -> Plan | None:
    """The dependant's plan, made at its first request (None: FastAPI solves it)."""
    known = _PLANS.get(id(dependant))
    if known is not None and known[0] is dependant:
        return known[1]
    made = _plan_of(dependant) if _plannable(dependant) else None
    _PLANS[id(dependant)] = (dependant, made)
    return made


async def _solve(
    *,
    request: Any,
    dependant: Dependant,
    body: Any = _NO_BODY,
    dependency_overrides_provider: Any | None = None,
    **kwargs: Any,
) -> SolvedDependency:
    """FastAPI's `solve_dependencies` as its request handler calls it, by the dependant's plan where there is one."""
    plan = (
        plan_for(dependant)
        if dependency_overrides_provider in _PLANNED
        and not getattr(dependency_overrides_provider, "dependency_overrides", None)
        and isinstance(request, Request)
        and body is not _NO_BODY
        and kwargs.get("response") is None
        and kwargs.get("dependency_cache") is None
        and kwargs.get("background_tasks") is None
        else None
    )
    if plan is None:
        if body is not _NO_BODY:
            kwargs["body"] = body
        return await _SOLVE_BY_FASTAPI(
            request=request, dependant=dependant, dependency_overrides_provider=dependency_overrides_provider, **kwargs
        )
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]  # as FastAPI leaves it: no status set by a dependency
    cache: dict[DependencyCacheKey, Any] = {}
    values, errors = await plan.solve(request, body, response, cache, kwargs["embed_body_fields"])
    return SolvedDependency(
        values=values, errors=errors, background_tasks=None, response=response, dependency_cache=cache
    )


def plan(app: FastAPI) -> None:
    """Solve the app's requests by plans (FastAPI's request handler looks its solver up in its module at each call)."""
    _PLANNED.add(app)
    fastapi.routing.solve_dependencies = _solve  # type: ignore[attr-defined]  # its handler's global, as it is called
