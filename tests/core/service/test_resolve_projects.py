"""Which project a name means to a caller (`resolve.project_matches`), on SQLite and
PostgreSQL: the one named by its id; else the caller's own; else those they are a member
of; else (administrators) any. Names are unique per owner only (issue 17, item 8)."""

from __future__ import annotations

import pytest

from vertice_core.accounts import create_user
from vertice_core.errors import Conflict, InvalidInput, NotFound
from vertice_core.service.caller import Caller
from vertice_core.service.resolve import (
    one_project,
    project_id_for,
    project_matches,
    visible_project,
)
from vertice_core.store import Store
from vertice_core.store.repositories import ProjectRepository, UserRepository


@pytest.fixture
def people(store: Store) -> dict[str, str]:
    """bob's and carol's `web`, and users with ids: dave, eve, an admin."""
    ids = {}
    with store.write() as session:
        for name in ("bob", "carol", "dave", "eve", "root"):
            ids[name] = create_user(session, name, admin=name == "root").user.id
        projects = ProjectRepository(session)
        for owner in ("bob", "carol"):
            row = projects.create("web", ids[owner])
            projects.add_member(row.id, ids[owner])
            ids[f"{owner}'s web"] = row.id
    return ids


def join(store: Store, user_id: str, *project_ids: str) -> None:
    with store.write() as session:
        for project_id in project_ids:
            ProjectRepository(session).add_member(project_id, user_id)


def caller(store: Store, name: str) -> Caller:
    """The caller `name` is now (their memberships read afresh)."""
    with store.read() as session:
        user = UserRepository(session).by_name(name)
        assert user is not None
        ids = ProjectRepository(session).ids_of_member(user.id)
    return Caller(user.id, user.name, user.admin, tuple(ids))


def matches(store: Store, who: Caller, ref: str) -> list[str]:
    with store.read() as session:
        return [row.id for row in project_matches(session, who, ref)]


def test_the_owner_finds_their_own_project_though_others_share_its_name(store, people):
    join(store, people["carol"], people["bob's web"])
    assert matches(store, caller(store, "bob"), "web") == [people["bob's web"]]
    assert matches(store, caller(store, "carol"), "web") == [people["carol's web"]]


def test_a_member_finds_the_project_they_belong_to(store, people):
    join(store, people["dave"], people["bob's web"])
    assert matches(store, caller(store, "dave"), "web") == [people["bob's web"]]


def test_several_projects_in_the_best_tier_are_ambiguous_and_an_id_settles_it(store, people):
    join(store, people["dave"], people["bob's web"], people["carol's web"])
    dave = caller(store, "dave")
    both = {people["bob's web"], people["carol's web"]}
    assert set(matches(store, dave, "web")) == both
    with store.read() as session:
        with pytest.raises(Conflict, match="several projects you can see are named 'web'"):
            visible_project(session, dave, "web")
        with pytest.raises(InvalidInput) as invalid:
            project_id_for(session, dave, "web")
        assert invalid.value.problems[0].path == "$.project"
        assert "name the one you mean by its id" in invalid.value.problems[0].message
        assert visible_project(session, dave, people["carol's web"]) == people["carol's web"]


def test_a_project_the_caller_cannot_see_is_not_there(store, people):
    eve = caller(store, "eve")
    assert matches(store, eve, "web") == []
    assert matches(store, eve, people["bob's web"]) == [], "an id is no way in"
    with store.read() as session:
        with pytest.raises(NotFound, match="there is no project named 'web'"):
            one_project(session, eve, "web")
        with pytest.raises(InvalidInput, match="no project named"):
            project_id_for(session, eve, people["bob's web"])


def test_an_owner_who_left_their_project_no_longer_sees_it(store, people):
    with store.write() as session:
        ProjectRepository(session).remove_member(people["bob's web"], people["bob"])
    assert matches(store, caller(store, "bob"), "web") == []


def test_an_administrator_sees_every_project_own_and_joined_first(store, people):
    both = {people["bob's web"], people["carol's web"]}
    assert set(matches(store, caller(store, "root"), "web")) == both
    assert set(matches(store, Caller.operator(), "web")) == both
    join(store, people["root"], people["carol's web"])
    assert matches(store, caller(store, "root"), "web") == [people["carol's web"]]
    with store.write() as session:
        mine = ProjectRepository(session).create("web", people["root"])
    assert matches(store, caller(store, "root"), "web") == [mine.id]
    assert matches(store, caller(store, "root"), people["bob's web"]) == [people["bob's web"]]


def test_a_name_is_unique_among_its_owners_projects_only(store, people):
    with store.write() as session:
        with pytest.raises(Conflict, match="you already have a project named 'web'"):
            ProjectRepository(session).create("web", people["bob"])
        # the session goes on after the refused insert (a savepoint was rolled back)
        other = ProjectRepository(session).create("web", people["dave"])
    assert other.owner_id == people["dave"]
