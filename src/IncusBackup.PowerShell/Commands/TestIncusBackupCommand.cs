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
/// With -Restore an instance or volume backup is also imported into a throwaway project (or -TestProject), checked
/// there, optionally started and probed with -Script, and deleted again (RestoreTester).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "IncusBackup", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(TestResult), typeof(bool))]
public sealed class TestIncusBackupCommand : ConnectedCmdlet
{
    private const string ByNameSet = "ByName";
    private const string InputObjectSet = "InputObject";

    private readonly List<TestItem> _items = [];
    private readonly List<(string? Project, string Name)> _names = [];
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

    /// <summary>Only the backups of this Incus server, by name (wildcards allowed), as Get-IncusBackup -ServerName.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    public string? ServerName { get; set; }

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

    /// <summary>
    /// After the file checks pass, import each instance or custom volume backup into a throwaway project
    /// (ibtest-&lt;random&gt;, or -TestProject), check it there, and delete everything again.
    /// </summary>
    [Parameter]
    public SwitchParameter Restore { get; set; }

    /// <summary>-Restore into this existing project instead of a throwaway one; it is never deleted (only what the test made in it).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completers.ProjectNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? TestProject { get; set; }

    /// <summary>-Restore: start the restored instance and wait until it runs.</summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    /// <summary>
    /// -Restore: a command run inside the started instance (it implies -Start); exit code 0 passes. A string or a
    /// scriptblock's text is run by /bin/sh -c; an array is run as it is (program and arguments, no shell).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public object? Script { get; set; }

    /// <summary>-Restore: how long starting the instance, and the script, may each take (seconds).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 120;

    /// <summary>
    /// On a restic target, restic check also reads this part of the stored data back (restic's --read-data-subset:
    /// "10%", "1/5", "500M"). Every tested backup's own files are read in full anyway.
    /// </summary>
    [Parameter]
    [ValidatePattern(@"^(\d+/\d+|\d+(\.\d+)?%|\d+[KMGT])$")]
    public string? ReadDataSubset { get; set; }

    private IReadOnlyList<string>? _command;

    protected override void BeginProcessing()
    {
        EnsureValidVersion(Version);
        if (!Restore && (Start || Script is not null || TestProject is not null || MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSec))))
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                "-TestProject, -Start, -Script and -TimeoutSec belong to -Restore; add -Restore.", null));
        }
        if (Script is not null) _command = Command(Script);
    }

    /// <summary>-Script as argv: a string or a scriptblock through /bin/sh -c, an array as it is.</summary>
    private IReadOnlyList<string> Command(object script)
    {
        var value = script is PSObject wrapped ? wrapped.BaseObject : script;
        string[] command = value switch
        {
            string text => ["/bin/sh", "-c", text],
            ScriptBlock block => ["/bin/sh", "-c", block.ToString().Trim()],
            System.Collections.IEnumerable list => [.. list.Cast<object?>().Select(o => LanguagePrimitives.ConvertTo<string>(o) ?? "")],
            _ => ["/bin/sh", "-c", LanguagePrimitives.ConvertTo<string>(value) ?? ""],
        };
        if (command.Length == 0 || string.IsNullOrWhiteSpace(command[^1]) || string.IsNullOrWhiteSpace(command[0]))
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                "-Script is empty; give a command, e.g. -Script 'test -f /etc/hostname'.", null));
        }
        return command;
    }

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
                ServerName = ServerName,
                Version = Version,
                Latest = Latest,
                After = After,
                Before = Before,
            }.Apply(ListBackups(repository, Kind), repository.Target);
            foreach (var error in notFound) WriteError(error);
            _selectionFailed |= notFound.Count > 0;
            _items.AddRange(records.Select(r => new TestItem(repository, r)));
        }

        var items = _items;
        if (Restore)
        {
            // -Restore changes the server: each backup is confirmed with the project it goes to (-WhatIf stops here).
            items = [];
            foreach (var item in _items)
            {
                var project = TestProject ?? RestoreTestOptions.NewProjectName();
                if (ShouldProcess($"{item.Backup} in project {project}", "Test-restore"))
                    items.Add(item with { Options = new RestoreTestOptions { Project = project, KeepProject = TestProject is not null, Start = Start, Command = _command, Timeout = TimeSpan.FromSeconds(TimeoutSec) } });
            }
            if (items.Count == 0) return;
        }
        using var server = Restore ? ConnectIncus() : null;
        var repositoryChecks = CheckRepositories(items.Select(i => i.Repository));

        var allPassed = !_selectionFailed;
        var tested = 0;
        new ParallelRunner(this, $"Testing {items.Count} backup(s)").Run(
            items, ThrottleLimit,
            (item, reporter, ct) => item.Options is { } options
                ? RestoreTester.TestAsync(server!, item.Repository, item.Backup, options, reporter, ct)
                : BackupTester.TestAsync(item.Repository, item.Backup, reporter, ct),
            (item, result) =>
            {
                if (repositoryChecks.GetValueOrDefault(item.Repository.Target) is { } check)
                    result = new TestResult { Backup = result.Backup, Checks = [.. result.Checks, check], Duration = result.Duration };
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
        if (Quiet) WriteObject(allPassed && tested > 0 && tested == items.Count);
    }

    /// <summary>
    /// Checks each repository once as a whole (restic check; a directory has no such check): what it finds is a
    /// check of every backup tested from it, since a backup in a damaged repository is not sound.
    /// </summary>
    private Dictionary<string, TestCheck> CheckRepositories(IEnumerable<IBackupRepository> repositories)
    {
        var checks = new Dictionary<string, TestCheck>(StringComparer.Ordinal);
        foreach (var repository in repositories.DistinctBy(r => r.Target))
        {
            WriteProgress(new ProgressRecord(1, $"Checking {repository.Target}", "restic check") { PercentComplete = -1 });
            TestCheck? check;
            try
            {
                check = Await(ct => repository.CheckAsync(ReadDataSubset, ct));
            }
            catch (IncusBackupException e)
            {
                check = new TestCheck { Name = "Repository", Outcome = CheckOutcome.Failed, Message = e.Message, ErrorId = e.ErrorId };
            }
            WriteProgress(new ProgressRecord(1, $"Checking {repository.Target}", "done") { RecordType = ProgressRecordType.Completed });
            if (check is null) continue;
            WriteVerbose($"{repository.Target}: {check}");
            checks[repository.Target] = check;
        }
        return checks;
    }

    /// <summary>A failed backup as an error: the ErrorId of its first failed check, every failed check in the message.</summary>
    private static IncusBackupException Failure(TestResult result) =>
        new(result.ErrorId ?? ErrorIds.BackupUnreadable, ErrorKind.InvalidData,
            $"{result.Backup} failed its test: {string.Join(" ", result.Errors)}", result,
            "Restore or copy another version (Get-IncusBackup lists them); take a new backup of this resource.");


    private sealed record TestItem(IBackupRepository Repository, BackupRecord Backup, RestoreTestOptions? Options = null)
    {
        public override string ToString() => Backup.ToString();
    }
}
