using System.Diagnostics;
using System.Security.Cryptography;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// Tests one stored backup without the server: the Checksums, Manifest, Archive and Content checks, each reported
/// by name with its outcome. Every file is read once, start to end, with bounded memory: the archive is hashed in
/// the same pass that decompresses it and walks its tar. A failing check never hides another that can still run.
/// </summary>
public static class BackupTester
{
    private const long ReportEvery = 4L << 20;

    public static async Task<TestResult> TestAsync(IBackupRepository repository, BackupRecord backup, IReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(backup);
        ArgumentNullException.ThrowIfNull(reporter);
        var clock = Stopwatch.StartNew();
        var label = backup.ToString();
        var seal = await StoredSeal.ReadAsync(repository, backup, ct).ConfigureAwait(false);
        var manifest = seal.Manifest;

        // The files to read: the manifest's, in order, then any other file checksums.txt vouches for.
        var names = manifest?.Files.Select(f => f.Name).ToList() ?? [backup.ArchiveName];
        if (seal.ChecksumsBytes is not null)
        {
            try
            {
                var listed = BackupSeal.ParseChecksums(System.Text.Encoding.UTF8.GetString(seal.ChecksumsBytes), label).Keys;
                names.AddRange(listed.Where(n => n != BackupSeal.ManifestFile && !names.Contains(n)).Order(StringComparer.Ordinal));
            }
            catch (Errors.IncusBackupException)
            {
                // Malformed: the Checksums check says so; the manifest's files are still read.
            }
        }
        names = [.. names.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)];
        var total = manifest?.Files.Sum(f => f.Size) ?? backup.Size;
        var done = 0L;
        var lastReport = 0L;
        void Read(int count)
        {
            done += count;
            if (done - lastReport < ReportEvery) return;
            lastReport = done;
            reporter.Progress(new ItemProgress(label, "Verifying", done, total));
        }

        using var fingerprint = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var imageFiles = backup.Kind == BackupKind.Image && manifest is not null ? manifest.Files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal) : [];
        var scans = new List<FileScan>();
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            var walk = backup.Kind switch
            {
                BackupKind.Instance or BackupKind.Volume => i == 0,
                BackupKind.Image => name.Contains(".tar", StringComparison.Ordinal),
                _ => false,
            };
            scans.Add(await FileScanner.ScanAsync(repository, backup, name, walk, imageFiles.Contains(name) ? fingerprint : null, Read, ct).ConfigureAwait(false));
        }
        reporter.Progress(new ItemProgress(label, "Verifying", done, total));

        var checks = new List<TestCheck>
        {
            ChecksumsCheck.Evaluate(seal, scans, label),
            ManifestCheck.Evaluate(seal, backup, repository),
            ArchiveCheck.Evaluate(backup.Kind, backup.Kind switch
            {
                BackupKind.Instance or BackupKind.Volume => scans.Take(1).ToList(),
                BackupKind.Image => scans.Where(s => imageFiles.Contains(s.Name)).ToList(),
                _ => [],
            }),
            backup.Kind switch
            {
                BackupKind.Image => ContentCheck.ForImage(manifest,
                    manifest is not null && scans.Where(s => imageFiles.Contains(s.Name)).All(s => s.Sha256 is not null) ? Convert.ToHexStringLower(fingerprint.GetHashAndReset()) : null),
                BackupKind.Config => ContentCheck.ForConfig(manifest, await ReadConfigFilesAsync(repository, backup, manifest, ct).ConfigureAwait(false), label),
                _ => ContentCheck.ForArchive(manifest, scans.FirstOrDefault()),
            },
        };
        var result = new TestResult { Backup = backup, Checks = checks, Duration = clock.Elapsed };
        reporter.Verbose($"Tested {label}: {result.Status} ({string.Join(", ", checks.Select(c => $"{c.Name} {c.Outcome}"))}) in {clock.Elapsed.TotalSeconds:0.0} s.");
        return result;
    }

    /// <summary>A config backup's JSON files (small), by name; one that cannot be read is left out.</summary>
    private static async Task<Dictionary<string, byte[]>> ReadConfigFilesAsync(IBackupRepository repository, BackupRecord backup, BackupManifest? manifest, CancellationToken ct)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in manifest?.Files ?? [])
        {
            try
            {
                await using var stream = await repository.OpenReadAsync(backup, file.Name, ct).ConfigureAwait(false);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, ct).ConfigureAwait(false);
                files[file.Name] = copy.ToArray();
            }
            catch (Exception e) when (e is IOException or Errors.IncusBackupException)
            {
                // The Checksums check reports it.
            }
        }
        return files;
    }
}
