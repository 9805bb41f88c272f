namespace IncusBackup.Incus;

/// <summary>Profiles: /1.0/profiles (project-scoped).</summary>
public interface IProfilesApi
{
    Task<IncusProfile?> TryGetAsync(string project, string name, CancellationToken ct);

    /// <summary>The project's profiles as the API returns them, every field kept.</summary>
    Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct);

    Task DeleteAsync(string project, string name, CancellationToken ct);
}

internal sealed class ProfilesApi(IncusTransport transport) : IProfilesApi
{
    public Task<IncusProfile?> TryGetAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/profiles/{IncusPath.Esc(name)}", project), IncusJsonContext.Default.IncusProfile, ct);

    public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct) =>
        transport.GetObjectsAsync(IncusPath.Scoped("/1.0/profiles?recursion=1", project), ct);

    public Task DeleteAsync(string project, string name, CancellationToken ct) =>
        transport.DeleteAsync(IncusPath.Scoped($"/1.0/profiles/{IncusPath.Esc(name)}", project), ct);
}
