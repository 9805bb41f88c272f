using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Sends a backed-up image to the server: one file for a unified image, metadata and rootfs as multipart for a
/// split one, streamed from the repository and checked against the seal on the way (a mismatch breaks the upload
/// off before its end). The server computes the fingerprint of what it received; it must be the one the backup
/// names, or the import is deleted again.
/// </summary>
internal sealed class ImageUploader(IIncusServer server)
{
    public async Task UploadAsync(IBackupRepository repository, BackupRecord backup, BackupManifest manifest, string project, IReporter reporter, CancellationToken ct)
    {
        var fingerprint = manifest.Name;
        var display = $"{project}/{fingerprint[..Math.Min(12, fingerprint.Length)]}";
        var total = manifest.Files.Sum(f => f.Size);
        var sent = 0L;
        var streams = new List<VerifyingReadStream>();
        try
        {
            var parts = new List<ImagePart>();
            foreach (var file in manifest.Files)
            {
                var stream = await VerifyingReadStream.OpenAsync(repository, backup, file, ct).ConfigureAwait(false);
                streams.Add(stream);
                var before = sent;
                var counted = new ProgressReadStream(stream, read => reporter.Progress(new ItemProgress(display, "Uploading", before + read, total)));
                sent += file.Size;
                parts.Add(new ImagePart(PartName(file.Name), file.Name, counted));
            }
            string operation;
            try
            {
                operation = await server.Images.StartImportAsync(project, new ImageUpload { Parts = parts, Length = parts.Count == 1 ? total : null }, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (streams.Find(s => s.Failure is not null) is { } broken && e is not OperationCanceledException)
            {
                throw broken.Failure!;
            }
            catch (IncusApiException e)
            {
                throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                    $"The server refused image {display} from {backup}: {e.Message}", display, inner: e);
            }
            reporter.Progress(new ItemProgress(display, "Importing on the server", total, total));
            IncusOperation done;
            try
            {
                done = await server.Operations.WaitAsync(operation, null, ct).ConfigureAwait(false);
            }
            catch (IncusApiException e)
            {
                throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                    $"Importing image {display} failed on the server: {e.Message}", display, inner: e);
            }
            var imported = done.MetadataText("fingerprint");
            if (imported is not null && imported != fingerprint)
            {
                await server.Images.DeleteAsync(project, imported, CancellationToken.None).ConfigureAwait(false);
                throw new IncusBackupException(ErrorIds.ImageFingerprintMismatch, ErrorKind.InvalidData,
                    $"The server computed fingerprint {imported} for the upload of {backup}, not {fingerprint}; the import was deleted.", display);
            }
        }
        finally
        {
            foreach (var stream in streams) await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The multipart field a file goes back in: metadata, rootfs, or a VM's rootfs.img; "image" for a unified file.</summary>
    internal static string PartName(string fileName) =>
        fileName == "rootfs.img" ? "rootfs.img"
        : fileName.StartsWith("metadata.", StringComparison.Ordinal) ? "metadata"
        : fileName.StartsWith("rootfs.", StringComparison.Ordinal) ? "rootfs"
        : "image";
}
