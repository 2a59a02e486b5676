"""The operations of who owns what: `/v3/sshkeys`, `/v3/projects`, `/v3/users`, `/v3/tokens`."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    body,
    operation,
    param_ref,
    path_param,
    ref,
    response,
)
from vertice_api.openapi._paths import NAME, Paths, create, remove


def tenancy(paths: Paths) -> dict[str, Json]:
    """SSH keys and projects (with their members): what a user's resources belong to."""
    project = param_ref("project")
    name = path_param("name", "The resource's name.", NAME)
    project_name = path_param(
        "name",
        "The project's name (yours first, then those you are a member of; several such "
        "projects of that name: 409) or id.",
        NAME,
    )
    member = path_param("user", "The member's (or invited user's) name.", NAME)
    invitation = path_param("invitation_id", "The invitation's id.",
                            {"type": "string", "pattern": "^inv-[0-9a-f]{16}$"})  # fmt: skip
    return {
        "/v3/sshkeys": {
            "get": paths.get("listSshKeys", "The caller's SSH keys", "sshkeys",
                             "SshKeyCollection", parameters=[project], errors=[404, 409]),
            "post": create("createSshKey", "Store an SSH public key", "sshkeys", "SshKeyInput",
                           "SshKey", errors=[404, 409]),
        },
        "/v3/sshkeys/{name}": {
            "parameters": [name, project],
            "get": paths.get("getSshKey", "Read an SSH key", "sshkeys", "SshKey",
                             errors=[404, 409]),
            "delete": remove("deleteSshKey", "Delete an SSH key", "sshkeys", errors=[404, 409]),
        },
        "/v3/projects": {
            "get": paths.get("listProjects", "The caller's projects (administrators: all)",
                             "projects", "ProjectCollection"),
            "post": create("createProject", "Create a project: the caller becomes its owner "
                           "and a member (409: the caller owns one of that name; other "
                           "users' projects are no obstacle)", "projects", "ProjectInput",
                           "Project", errors=[409]),
        },
        "/v3/projects/{name}": {
            "parameters": [project_name],
            "get": paths.get("getProject", "Read a project", "projects", "Project",
                             errors=[404, 409]),
            "delete": remove("deleteProject", "Delete a project without assemblies",
                             "projects", errors=[404, 409]),
        },
        "/v3/projects/{name}/members": {
            "parameters": [project_name],
            "post": operation(
                "inviteProjectMember", "Invite a user to join (members and administrators); "
                "the user joins by accepting it (`/v3/invitations`). A name nobody has is "
                "invited the same way.", tag="projects", errors=[404, 409],
                request=body(ref("MemberChange")), ok={202: response(202, ref("Project"))}),
        },
        "/v3/projects/{name}/members/{user}": {
            "parameters": [project_name, member],
            "delete": remove("removeProjectMember", "Remove a member, or withdraw the "
                             "invitation of a user", "projects", errors=[404, 409]),
        },
        "/v3/invitations": {
            "get": paths.get("listInvitations", "The invitations addressed to the caller",
                             "projects", "InvitationCollection"),
        },
        "/v3/invitations/{invitation_id}": {
            "parameters": [invitation],
            "get": paths.get("getInvitation", "Read an invitation (its user, or the project's "
                             "members)", "projects", "Invitation", errors=[404]),
            "delete": remove("deleteInvitation", "Decline an invitation (its user), or "
                             "withdraw it (the project's members)", "projects", errors=[404]),
        },
        "/v3/invitations/{invitation_id}/accept": {
            "parameters": [invitation],
            "post": operation("acceptInvitation", "Accept an invitation: join the project",
                              tag="projects", errors=[404, 409],
                              ok={200: response(200, ref("Project"))}),
        },
    }  # fmt: skip


def accounts(paths: Paths) -> dict[str, Json]:
    """Users and their API tokens."""
    name = path_param("name", "The user's name.", NAME)
    token_id = path_param("token_id", "The token's id.",
                          {"type": "string", "pattern": "^tok-[0-9a-f]{16}$"})  # fmt: skip
    return {
        "/v3/users": {
            "get": paths.get("listUsers", "List users (administrators)", "users",
                             "UserCollection", errors=[403]),
            "post": create("createUser", "Create a user with a project and a token "
                           "(administrators)", "users", "UserInput", "NewUser",
                           errors=[403, 409]),
        },
        "/v3/users/{name}": {
            "parameters": [name],
            "get": paths.get("getUser", "Read a user (yourself; administrators: anyone)",
                             "users", "User", errors=[404]),
            "delete": remove("deleteUser", "Delete a user (administrators; never the last "
                             "administrator)", "users", errors=[403, 404, 409]),
        },
        "/v3/tokens": {
            "get": paths.get("listTokens", "The caller's tokens", "tokens", "TokenCollection",
                             parameters=[param_ref("user")], errors=[403, 404]),
            "post": create("createToken", "Issue a token (shown once)", "tokens", "TokenInput",
                           "NewToken", errors=[403, 404]),
        },
        "/v3/tokens/{token_id}": {
            "parameters": [token_id],
            "get": paths.get("getToken", "Read a token's metadata", "tokens", "Token",
                             errors=[404]),
            "delete": remove("revokeToken", "Revoke a token", "tokens", errors=[404]),
        },
    }  # fmt: skip
