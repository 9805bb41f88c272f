using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace IncusBackup.Incus;

/// <summary>Images and their aliases: /1.0/images (project-scoped when the project has features.images; docs/incus-api.md §5).</summary>
public interface IImagesApi
{
    Task<List<IncusImage>> ListAsync(string project, CancellationToken ct);

    Task<IncusImage?> TryGetAsync(string project, string fingerprint, CancellationToken ct);

    Task<List<ImageAliasEntry>> ListAliasesAsync(string project, CancellationToken ct);

    /// <summary>
    /// Downloads the image, handing each of its files to <paramref name="onPart"/> as it streams: one part for a
    /// unified image, metadata then rootfs for a split one (multipart/form-data).
    /// </summary>
    Task ExportAsync(string project, string fingerprint, Func<ImagePart, Task> onPart, CancellationToken ct);

    /// <summary>Uploads an image (unified or split); returns the import operation, whose metadata names the fingerprint.</summary>
    Task<string> StartImportAsync(string project, ImageUpload upload, CancellationToken ct);

    /// <summary>Replaces the image's writable settings (properties, public, auto_update, profiles, expiry).</summary>
    Task UpdateAsync(string project, string fingerprint, ImageUpdate update, CancellationToken ct);

    Task DeleteAsync(string project, string fingerprint, CancellationToken ct);

    Task CreateAliasAsync(string project, string name, string? description, string target, CancellationToken ct);

    /// <summary>Points an existing alias at <paramref name="target"/>.</summary>
    Task UpdateAliasAsync(string project, string name, string? description, string target, CancellationToken ct);

    Task DeleteAliasAsync(string project, string name, CancellationToken ct);
}

internal sealed class ImagesApi(IncusTransport transport) : IImagesApi
{
    public Task<List<IncusImage>> ListAsync(string project, CancellationToken ct) =>
        transport.GetAsync(IncusPath.Scoped("/1.0/images?recursion=1", project), IncusJsonContext.Default.ListIncusImage, ct);

    public Task<IncusImage?> TryGetAsync(string project, string fingerprint, CancellationToken ct) =>
        transport.TryGetAsync(Image(project, fingerprint), IncusJsonContext.Default.IncusImage, ct);

    public Task<List<ImageAliasEntry>> ListAliasesAsync(string project, CancellationToken ct) =>
        transport.GetAsync(IncusPath.Scoped("/1.0/images/aliases?recursion=1", project), IncusJsonContext.Default.ListImageAliasEntry, ct);

    public async Task ExportAsync(string project, string fingerprint, Func<ImagePart, Task> onPart, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, IncusPath.Append(Image(project, fingerprint), "/export"));
        using var response = await transport.SendStreamingAsync(request, ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var contentType = response.Content.Headers.ContentType;
        if (contentType?.MediaType != "multipart/form-data")
        {
            await onPart(new ImagePart("image", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), body)).ConfigureAwait(false);
            return;
        }
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Parameters.FirstOrDefault(p => p.Name == "boundary")?.Value).Value
            ?? throw new IncusApiException(500, $"The export of image {fingerprint} is multipart without a boundary.");
        var reader = new MultipartReader(boundary, body) { BodyLengthLimit = null };
        while (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section)
        {
            var disposition = section.GetContentDispositionHeader();
            var name = disposition?.Name.Value?.Trim('"') ?? throw new IncusApiException(500, $"A part of the export of image {fingerprint} has no name.");
            await onPart(new ImagePart(name, disposition.FileName.Value?.Trim('"'), section.Body)).ConfigureAwait(false);
        }
    }

    public async Task<string> StartImportAsync(string project, ImageUpload upload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, IncusPath.Scoped("/1.0/images", project));
        if (upload.Parts.Count == 1)
        {
            request.Content = new StreamContent(upload.Parts[0].Body, 1 << 20);
            if (upload.Length is { } length) request.Content.Headers.ContentLength = length;
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        }
        else
        {
            var form = new MultipartFormDataContent();
            foreach (var part in upload.Parts)
            {
                var content = new StreamContent(part.Body, 1 << 20);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
                form.Add(content, part.Name, part.FileName ?? part.Name);
            }
            request.Content = form;
        }
        using var response = await transport.SendStreamingAsync(request, ct).ConfigureAwait(false);
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, CancellationToken.None).ConfigureAwait(false);
        return envelope.Type == "async" && !string.IsNullOrEmpty(envelope.Operation)
            ? envelope.Operation
            : throw new IncusApiException(500, $"The server did not start an image import (it answered {envelope.Type}).");
    }

    public Task UpdateAsync(string project, string fingerprint, ImageUpdate update, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Put, Image(project, fingerprint), update, IncusJsonContext.Default.ImageUpdate, ct);

    public Task DeleteAsync(string project, string fingerprint, CancellationToken ct) =>
        transport.DeleteAsync(Image(project, fingerprint), ct);

    public Task CreateAliasAsync(string project, string name, string? description, string target, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Post, IncusPath.Scoped("/1.0/images/aliases", project),
            new ImageAliasRequest { Name = name, Description = description ?? "", Target = target }, IncusJsonContext.Default.ImageAliasRequest, ct);

    public Task UpdateAliasAsync(string project, string name, string? description, string target, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Put, Alias(project, name),
            new ImageAliasRequest { Description = description ?? "", Target = target }, IncusJsonContext.Default.ImageAliasRequest, ct);

    public Task DeleteAliasAsync(string project, string name, CancellationToken ct) =>
        transport.DeleteAsync(Alias(project, name), ct);

    private static string Image(string project, string fingerprint) => IncusPath.Scoped($"/1.0/images/{IncusPath.Esc(fingerprint)}", project);

    private static string Alias(string project, string name) => IncusPath.Scoped($"/1.0/images/aliases/{IncusPath.Esc(name)}", project);
}
