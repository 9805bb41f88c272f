using System.Buffers;
using System.Collections.Concurrent;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Reporting;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.Copy;

/// <summary>
/// Copies backups from any repository into one destination repository, whatever the two backends. Each file the
/// source's seal lists is streamed from the source into a staged backup of the destination and verified on the way
/// (size and sha256 against the seal; <see cref="VerifyingReadStream"/> holds the last 64 KiB back until the whole
/// file matched); then the source's own manifest.json and checksums.txt publish it, byte for byte, at the source's
/// version (<see cref="IStagedBackup.PublishCopyAsync"/>): the copy is the same backup, not a new one. A mismatch,
/// a failure or cancellation disposes the staged backup, so the destination never lists a partial copy. A backup the
/// destination holds already (same version, same archive) is skipped; a different backup at that version is a
/// BackupVersionConflict and nothing is overwritten. A protected backup gives a protected copy. Safe to call in parallel.
/// </summary>
public sealed class BackupCopier
{
    private const int BufferSize = 1 << 20;

    private const string CopyNextStep =
        "Test the source with Test-IncusBackup and copy another version; the copy was discarded, so the destination lists nothing of it.";

    // The destination's backups by Location: those listed before the run, and those copied since.
    private readonly ConcurrentDictionary<string, BackupRecord> _present;

    /// <param name="destination">The repository to copy into, opened for writing.</param>
    /// <param name="present">What the destination holds, as its listing says (to skip what is there already).</param>
    public BackupCopier(IBackupRepository destination, IEnumerable<BackupRecord> present)
    {
        Destination = destination;
        _present = new(present.Select(r => KeyValuePair.Create(Key(r.Location), r)), StringComparer.Ordinal);
    }

    public IBackupRepository Destination { get; }

    /// <summary>
    /// The destination's record of <paramref name="backup"/> when it holds it already (the same version of the same
    /// resource, with the same archive); null when it does not.
    /// </summary>
    /// <exception cref="IncusBackupException">BackupVersionConflict when a different backup sits at that version.</exception>
    public BackupRecord? Existing(BackupRecord backup)
    {
        if (_present.IsEmpty) return null;
        var location = Destination.LocationOf(ResourceOf(backup), backup.Version);
        return _present.TryGetValue(Key(location), out var existing) ? SameOrConflict(backup, existing) : null;
    }

    /// <summary>Copies one backup of <paramref name="source"/> into the destination, or finds it there already.</summary>
    public async Task<CopyOutcome> CopyAsync(IBackupRepository source, BackupRecord backup, IReporter reporter, CancellationToken ct)
    {
        if (Existing(backup) is { } existing)
        {
            reporter.Verbose($"{backup} is already in {Destination.Target}: skipped.");
            return new CopyOutcome(existing, Copied: false);
        }
        var seal = await BackupVerifier.ReadSealAsync(source, backup, ct).ConfigureAwait(false);
        EnsureSameBackup(seal.Manifest, backup);

        BackupRecord record;
        using (var staged = Destination.BeginBackup(ResourceOf(backup)))
        {
            var total = seal.Manifest.Files.Sum(f => f.Size);
            var done = 0L;
            foreach (var file in seal.Manifest.Files)
                done += await CopyFileAsync(source, backup, file, staged, done, total, reporter, ct).ConfigureAwait(false);
            try
            {
                record = await staged.PublishCopyAsync(seal, backup.Protected, ct).ConfigureAwait(false);
            }
            catch (IncusBackupException e) when (e.ErrorId == ErrorIds.BackupVersionConflict)
            {
                // Another run published this version since the listing: the same backup counts as copied, another does not.
                if (await FindNowAsync(backup, ct).ConfigureAwait(false) is not { } there) throw;
                var same = SameOrConflict(backup, there);
                reporter.Verbose($"{backup} reached {Destination.Target} by another run meanwhile: skipped.");
                return new CopyOutcome(same, Copied: false);
            }
        }
        _present[Key(record.Location)] = record;
        reporter.Verbose($"Copied {backup} to {Destination.Target} ({record.Location}, {Bytes.Format(record.Size)}{(record.Protected ? ", protected" : "")}).");
        return new CopyOutcome(record, Copied: true);
    }

    /// <summary>Streams one file from the source into the staged backup, verified against the seal; returns its size.</summary>
    private async Task<long> CopyFileAsync(IBackupRepository source, BackupRecord backup, ManifestFile file, IStagedBackup staged,
        long before, long total, IReporter reporter, CancellationToken ct)
    {
        var display = backup.ToString();
        await using var reader = await VerifyingReadStream.OpenAsync(source, backup, file, CopyNextStep, ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var writer = staged.CreateFile(file.Name);
            await using (writer.ConfigureAwait(false))
            {
                long copied = 0, reported = 0;
                int read;
                while ((read = await reader.ReadAsync(buffer.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
                {
                    try
                    {
                        await writer.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    }
                    catch (IOException e)
                    {
                        throw new TargetWriteException(e).ToError(Destination.Target, display);
                    }
                    copied += read;
                    if (copied - reported >= BufferSize * 4L)
                    {
                        reported = copied;
                        reporter.Progress(new ItemProgress(display, $"Copying {file.Name}", before + copied, total));
                    }
                }
                try
                {
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new TargetWriteException(e).ToError(Destination.Target, display);
                }
                reporter.Progress(new ItemProgress(display, $"Copying {file.Name}", before + copied, total));
                return copied;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The destination's record at the backup's location, listed afresh (another run may have written it).</summary>
    private async Task<BackupRecord?> FindNowAsync(BackupRecord backup, CancellationToken ct)
    {
        var location = Key(Destination.LocationOf(ResourceOf(backup), backup.Version));
        var listing = await Destination.ListAsync(backup.Kind, ct).ConfigureAwait(false);
        return listing.Records.FirstOrDefault(r => Key(r.Location) == location);
    }

    /// <summary>The destination's backup at the same version is this one (same archive and size), or a conflict.</summary>
    private BackupRecord SameOrConflict(BackupRecord backup, BackupRecord existing)
    {
        if (string.Equals(existing.Sha256, backup.Sha256, StringComparison.OrdinalIgnoreCase) && existing.Size == backup.Size) return existing;
        throw new IncusBackupException(ErrorIds.BackupVersionConflict, ErrorKind.ResourceExists,
            $"{Destination.Target} already holds a different backup of {backup.Kind.ToString().ToLowerInvariant()} {ResourceOf(backup)} at version {backup.Version} "
            + $"(archive sha256 {Short(existing.Sha256)}, {Bytes.Format(existing.Size)}; the source's is {Short(backup.Sha256)}, {Bytes.Format(backup.Size)}); nothing was overwritten.",
            backup.ToString(),
            $"Compare the two (Get-IncusBackup -Version {backup.Version} on both, Test-IncusBackup); remove the destination's with Remove-IncusBackup if the source's should take its place, or copy into another -Destination.");
    }

    /// <summary>The manifest must describe the backup it was read as: the copy publishes it as it is.</summary>
    private static void EnsureSameBackup(BackupManifest manifest, BackupRecord backup)
    {
        var kindMatches = string.Equals(manifest.Kind, backup.Kind.ToString(), StringComparison.OrdinalIgnoreCase);
        var poolMatches = backup.Kind != BackupKind.Volume || manifest.Pool == backup.Pool;
        if (kindMatches && poolMatches && manifest.Project == backup.Project && manifest.Name == backup.Name && manifest.Version == backup.Version
            && BackupVersion.TryParse(manifest.Version, out _) && manifest.Files.Count > 0)
            return;
        throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData,
            $"The manifest of {backup} describes {manifest.Kind} {manifest.Project}/{manifest.Name}@{manifest.Version} with {manifest.Files.Count} file(s), not the backup it is listed as; it was not copied.",
            backup.ToString(), "Run Test-IncusBackup on it (its Manifest check says what is wrong) and copy another version.");
    }

    /// <summary>What the backup is of, as the backup engines name it (the pool counts for volumes only).</summary>
    private static ResourceKey ResourceOf(BackupRecord backup) =>
        new(backup.Kind, backup.Project, backup.Kind == BackupKind.Volume ? backup.Pool : null, backup.Name);

    private static string Key(string location) => location.TrimEnd('/');

    private static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;
}
