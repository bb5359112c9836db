package githubtest

import (
	"net/http"
)

// Route names of the access checks, for Fail and Calls.
const (
	RoutePermission    = "get_permission"
	RouteGetRepository = "get_repository"
)

// SetPermission gives login a permission on the repository ("admin",
// "write", "read" or "none"); a login never set answers "none".
func (s *Server) SetPermission(login, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.permissions[login] = permission
}

// SetPublic makes the repository public (it starts private).
func (s *Server) SetPublic(public bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.public = public
}

// permission answers GET /repos/{owner}/{repo}/collaborators/{username}/permission
// as GitHub does: the legacy permission (maintain folded into write, triage
// into read) and the role name.
func (s *Server) permission(w http.ResponseWriter, r *http.Request, _ []byte) {
	login := r.PathValue("username")
	s.mu.Lock()
	perm, ok := s.permissions[login]
	s.mu.Unlock()
	if !ok {
		perm = "none"
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": perm, "role_name": perm, "user": s.userJSON(login)})
}

// repository answers GET /repos/{owner}/{repo} with its visibility.
func (s *Server) repository(w http.ResponseWriter, _ *http.Request, _ []byte) {
	s.mu.Lock()
	public := s.public
	s.mu.Unlock()
	visibility := "private"
	if public {
		visibility = "public"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": 1296269, "name": s.Repo, "full_name": s.Owner + "/" + s.Repo, "private": !public, "visibility": visibility,
		"owner": s.userJSON(s.Owner), "html_url": "https://github.com/" + s.Owner + "/" + s.Repo,
	})
}
