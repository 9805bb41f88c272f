namespace IncusBackup.Incus;

/// <summary>Images: /1.0/images (project-scoped when the project has features.images; docs/incus-api.md §5).</summary>
public interface IImagesApi
{
    Task<List<IncusImage>> ListAsync(string project, CancellationToken ct);

    Task<IncusImage?> TryGetAsync(string project, string fingerprint, CancellationToken ct);
}

internal sealed class ImagesApi(IncusTransport transport) : IImagesApi
{
    public Task<List<IncusImage>> ListAsync(string project, CancellationToken ct) =>
        transport.GetAsync(IncusPath.Scoped("/1.0/images?recursion=1", project), IncusJsonContext.Default.ListIncusImage, ct);

    public Task<IncusImage?> TryGetAsync(string project, string fingerprint, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Scoped($"/1.0/images/{IncusPath.Esc(fingerprint)}", project), IncusJsonContext.Default.IncusImage, ct);
}
