namespace IncusBackup.Incus;

/// <summary>Profiles: /1.0/profiles (project-scoped).</summary>
public interface IProfilesApi
{
    Task<IncusProfile?> TryGetAsync(string project, string name, CancellationToken ct);
}

internal sealed class ProfilesApi(IncusTransport transport) : IProfilesApi
{
    public Task<IncusProfile?> TryGetAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/profiles/{IncusPath.Esc(name)}", project), IncusJsonContext.Default.IncusProfile, ct);
}
