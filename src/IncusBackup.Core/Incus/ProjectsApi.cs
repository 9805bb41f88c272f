namespace IncusBackup.Incus;

/// <summary>Projects: /1.0/projects.</summary>
public interface IProjectsApi
{
    Task<List<IncusProject>> ListAsync(CancellationToken ct);

    Task<IncusProject?> TryGetAsync(string name, CancellationToken ct);

    /// <summary>Every project as the API returns it, every field kept.</summary>
    Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct);

    /// <summary>Creates a project with these config keys (features.*...).</summary>
    Task CreateAsync(string name, IReadOnlyDictionary<string, string> config, string description, CancellationToken ct);

    /// <summary>Deletes an empty project.</summary>
    Task DeleteAsync(string name, CancellationToken ct);
}

internal sealed class ProjectsApi(IncusTransport transport) : IProjectsApi
{
    public Task<List<IncusProject>> ListAsync(CancellationToken ct) =>
        transport.GetAsync("/1.0/projects?recursion=1", IncusJsonContext.Default.ListIncusProject, ct);

    public Task<IncusProject?> TryGetAsync(string name, CancellationToken ct) =>
        transport.TryGetAsync($"/1.0/projects/{IncusPath.Esc(name)}", IncusJsonContext.Default.IncusProject, ct);

    public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct) =>
        transport.GetObjectsAsync("/1.0/projects?recursion=1", ct);

    public Task CreateAsync(string name, IReadOnlyDictionary<string, string> config, string description, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Post, "/1.0/projects",
            new ProjectCreateRequest { Name = name, Description = description, Config = new Dictionary<string, string>(config) },
            IncusJsonContext.Default.ProjectCreateRequest, ct);

    public Task DeleteAsync(string name, CancellationToken ct) =>
        transport.DeleteAsync($"/1.0/projects/{IncusPath.Esc(name)}", ct);
}
