using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;
using IncusBackup.Verify;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Proves stored backups sound without the server: their checksums, manifest, archive (decompressed, its tar walked
/// to the end) and content (index.yaml, an image's fingerprint, config files) are checked, and each backup gets one
/// TestResult. A backup that fails is also a non-terminating error whose ErrorId names the first failed check.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "IncusBackup", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(TestResult), typeof(bool))]
public sealed class TestIncusBackupCommand : RepositoryCmdlet
{
    private const string ByNameSet = "ByName";
    private const string InputObjectSet = "InputObject";

    private readonly List<TestItem> _items = [];
    private readonly List<(string? Project, string Name)> _names = [];
    private readonly Dictionary<string, IBackupRepository?> _repositories = new(StringComparer.Ordinal);
    private bool _selectionFailed;

    /// <summary>Backups to test, usually from Get-IncusBackup.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord[] InputObject { get; set; } = [];

    [Parameter(ParameterSetName = ByNameSet)]
    public BackupKind? Kind { get; set; }

    /// <summary>Resource names; wildcards allowed. For volumes "pool/name" works too, for images an alias.</summary>
    [Parameter(Position = 0, ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(Completers.PoolNameCompleter))]
    public string? Pool { get; set; }

    /// <summary>One version (YYYYMMDDThhmmssZ).</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
    public string? Version { get; set; }

    /// <summary>Only the newest backup of each resource.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public SwitchParameter Latest { get; set; }

    /// <summary>Backups taken after this time.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public DateTime? After { get; set; }

    /// <summary>Backups taken before this time.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public DateTime? Before { get; set; }

    /// <summary>How many backups are read at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    /// <summary>Return one bool for all: $true when at least one backup was tested and every one passed. Failures are not errors then.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing() => EnsureValidVersion(Version);

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var record in InputObject)
            {
                if (RepositoryOf(record) is { } repository) _items.Add(new TestItem(repository, record));
                else _selectionFailed = true;
            }
            return;
        }
        _names.AddRange(Name.Select(n => (Project, n)));
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == ByNameSet)
        {
            var repository = OpenRepositoryForRead(ResolveTarget());
            var (records, notFound) = new BackupSelection
            {
                Kind = Kind,
                Names = _names,
                Project = Project,
                Pool = Pool,
                Version = Version,
                Latest = Latest,
                After = After,
                Before = Before,
            }.Apply(ListBackups(repository, Kind), repository.Target);
            foreach (var error in notFound) WriteError(error);
            _selectionFailed |= notFound.Count > 0;
            _items.AddRange(records.Select(r => new TestItem(repository, r)));
        }

        var allPassed = !_selectionFailed;
        var tested = 0;
        new ParallelRunner(this, $"Testing {_items.Count} backup(s)").Run(
            _items, ThrottleLimit,
            (item, reporter, ct) => BackupTester.TestAsync(item.Repository, item.Backup, reporter, ct),
            (_, result) =>
            {
                tested++;
                if (result.Status == TestStatus.Failed)
                {
                    allPassed = false;
                    if (Quiet) WriteVerbose($"{result.Backup} failed: {string.Join(" ", result.Errors)}");
                    else WriteError(Failure(result), result);
                }
                if (!Quiet) WriteObject(result);
            },
            (item, e) =>
            {
                allPassed = false;
                if (Quiet) WriteVerbose($"{item} could not be tested: {e.Message}");
                else WriteError(e, item.Backup.ToString());
            },
            PipelineStopToken);
        if (Quiet) WriteObject(allPassed && tested > 0 && tested == _items.Count);
    }

    /// <summary>A failed backup as an error: the ErrorId of its first failed check, every failed check in the message.</summary>
    private static IncusBackupException Failure(TestResult result) =>
        new(result.ErrorId ?? ErrorIds.BackupUnreadable, ErrorKind.InvalidData,
            $"{result.Backup} failed its test: {string.Join(" ", result.Errors)}", result,
            "Restore or copy another version (Get-IncusBackup lists them); take a new backup of this resource.");

    /// <summary>The repository a piped record lives in (opened once per repository); null after writing why it cannot be read.</summary>
    private IBackupRepository? RepositoryOf(BackupRecord record)
    {
        if (_repositories.TryGetValue(record.Repository, out var known)) return known;
        IBackupRepository? repository = null;
        try
        {
            repository = RepositoryFactory.OpenForRead(record);
        }
        catch (IncusBackupException e)
        {
            WriteError(e, record.ToString());
        }
        _repositories[record.Repository] = repository;
        return repository;
    }

    private sealed record TestItem(IBackupRepository Repository, BackupRecord Backup)
    {
        public override string ToString() => Backup.ToString();
    }
}
