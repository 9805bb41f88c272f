using System.Buffers;
using System.Security.Cryptography;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>
/// Backs up one image: streams its export (one unified file, or the metadata and rootfs parts of a split image)
/// into the repository, checks that the bytes hash to the image's fingerprint (sha256 of the file, or of
/// metadata followed by rootfs), and publishes it with the image's aliases and settings in the manifest.
/// </summary>
public sealed class ImageBackupEngine(IIncusServer server, IBackupRepository repository, string toolVersion)
{
    private const int BufferSize = 1 << 20;

    /// <summary>The run these backups belong to (Backup-IncusServer), recorded in each manifest.</summary>
    public string? RunId { get; init; }

    public async Task<BackupRecord> BackupAsync(ImageBackupSource source, IReporter reporter, CancellationToken ct)
    {
        var display = source.ToString();
        var info = await server.GetServerAsync(ct).ConfigureAwait(false);
        var createdAt = DateTimeOffset.UtcNow;
        using var staged = repository.BeginBackup(source.Resource);
        List<(ManifestFile File, CompressionKind Kind)> files;
        string actual;
        try
        {
            (files, actual) = await ExportAsync(source, staged, display, reporter, ct).ConfigureAwait(false);
        }
        catch (TargetWriteException e)
        {
            throw e.ToError(repository.Target, display);
        }
        if (files.Count == 0 || actual != source.Fingerprint)
        {
            throw new IncusBackupException(ErrorIds.ImageFingerprintMismatch, ErrorKind.InvalidData,
                $"The export of image {display} hashes to {actual}, not to its fingerprint {source.Fingerprint}: it was cut short or changed on the way. Nothing was kept.",
                source.Fingerprint, "Run the backup again; if it keeps failing, check the image on the server (incus image info).");
        }
        var main = ArchiveCompression.Name(files[0].Kind);
        var manifest = new BackupManifest
        {
            Kind = "image",
            Project = source.Project,
            Name = source.Fingerprint,
            CreatedAt = createdAt,
            CompletedAt = DateTimeOffset.UtcNow,
            ToolVersion = toolVersion,
            RunId = RunId,
            Server = ManifestServer.Of(info, server),
            Options = new ManifestOptions
            {
                Consistency = "None",
                Compression = main,
                DetectedCompression = main,
                ExportMethod = files.Count == 1 ? "ImageUnified" : "ImageSplit",
            },
            InstanceType = source.Image.Type,
            Source = source.SourceObject,
            Files = [.. files.Select(f => f.File)],
        };
        var record = await staged.PublishAsync(manifest, BackupVersion.At(createdAt.UtcDateTime), ct).ConfigureAwait(false);
        reporter.Verbose($"Backed up image {display} to {record.Location} ({Bytes.Format(record.Size)}, {(files.Count == 1 ? "unified" : "split")}).");
        return record;
    }

    /// <summary>"image.tar.xz" for a unified image; "metadata.tar.xz" and "rootfs.squashfs" (or a VM's "rootfs.img") for a split one.</summary>
    internal static string FileName(string part, CompressionKind kind) => part switch
    {
        "rootfs.img" => "rootfs.img",
        _ => ArchiveCompression.ArchiveFileName(part, kind),
    };

    /// <summary>Streams every part into its own file; returns the files and the sha256 of all parts in order (the fingerprint).</summary>
    private async Task<(List<(ManifestFile File, CompressionKind Kind)> Files, string Fingerprint)> ExportAsync(
        ImageBackupSource source, IStagedBackup staged, string display, IReporter reporter, CancellationToken ct)
    {
        using var fingerprint = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = new List<(ManifestFile File, CompressionKind Kind)>();
        var done = 0L;
        await server.Images.ExportAsync(source.Project, source.Fingerprint, async part =>
        {
            var partial = part.Name + ".partial";
            var writer = new HashingStream(staged.CreateFile(partial), ArchiveCompression.HeaderLength);
            await using (writer.ConfigureAwait(false))
            {
                await CopyAsync(part.Body, writer, fingerprint,
                    read => reporter.Progress(new ItemProgress(display, $"Downloading {part.Name}", done + read, source.Image.Size)), ct).ConfigureAwait(false);
                var sha = await writer.CompleteAsync(ct).ConfigureAwait(false);
                var kind = ArchiveCompression.Detect(writer.Head);
                var name = FileName(part.Name, kind);
                files.Add((new ManifestFile { Name = name, Size = writer.Length, Sha256 = sha }, kind));
                done += writer.Length;
            }
            staged.RenameFile(partial, files[^1].File.Name);
        }, ct).ConfigureAwait(false);
        return (files, Convert.ToHexStringLower(fingerprint.GetHashAndReset()));
    }

    private static async Task CopyAsync(Stream body, HashingStream writer, IncrementalHash fingerprint, Action<long> progress, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            var lastReport = 0L;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
            {
                fingerprint.AppendData(buffer, 0, read);
                try
                {
                    await writer.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new TargetWriteException(e);
                }
                if (writer.Length - lastReport >= BufferSize * 4L)
                {
                    lastReport = writer.Length;
                    progress(writer.Length);
                }
            }
            progress(writer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
