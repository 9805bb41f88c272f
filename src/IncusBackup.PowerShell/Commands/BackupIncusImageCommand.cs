using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Backs up images (unified or split) with their aliases and settings, by fingerprint (a unique prefix is enough),
/// by alias, or all; one BackupRecord per image.
/// </summary>
[Cmdlet(VerbsData.Backup, "IncusImage", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class BackupIncusImageCommand : BackupCmdlet<ImageBackupSource>
{
    private const string ByAliasSet = "ByAlias";
    private const string AliasMarker = "alias:";

    /// <summary>Fingerprints, or unique prefixes of them.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ImageCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Fingerprint { get; set; } = [];

    /// <summary>Aliases of the images (wildcards allowed).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByAliasSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ImageCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Alias { get; set; } = [];

    protected override string KindNoun => "image";
    protected override BackupKind Kind => BackupKind.Image;
    protected override string NotFoundErrorId => ErrorIds.ImageNotFound;

    protected override void ProcessRecord() => Request(Fingerprint.Concat(Alias.Select(a => AliasMarker + a)), pool: null);

    protected override async Task<Selection<ImageBackupSource>> SelectAsync(ResourceSelector selector, IReadOnlyList<string> names, string? project, string? pool, CancellationToken ct)
    {
        var fingerprints = names.Where(n => !n.StartsWith(AliasMarker, StringComparison.Ordinal)).ToList();
        var aliases = names.Where(n => n.StartsWith(AliasMarker, StringComparison.Ordinal)).Select(n => n[AliasMarker.Length..]).ToList();
        var selection = await selector.SelectImagesAsync(fingerprints, aliases, project, ct).ConfigureAwait(false);
        // The selector reports misses by the name alone: an alias gets its marker back, so that the error says "with alias".
        return selection with
        {
            Missing = [.. selection.Missing.Select(m => fingerprints.Contains(m, StringComparer.OrdinalIgnoreCase) ? m : AliasMarker + m)],
        };
    }

    protected override Func<ImageBackupSource, IReporter, CancellationToken, Task<BackupRecord>> Worker(IIncusServer server, IBackupRepository repository)
    {
        var engine = new ImageBackupEngine(server, repository, ToolVersion);
        return engine.BackupAsync;
    }

    protected override Task<long> EstimateSizeAsync(IIncusServer server, ImageBackupSource source, CancellationToken ct) =>
        Task.FromResult(Math.Max(source.Image.Size, BackupEngine.MinimumFreeBytes));

    protected override void WriteNotFound(ResourceSelector selector, IReadOnlyList<(string? Project, string Name)> missing)
    {
        foreach (var (project, name) in missing)
        {
            var alias = name.StartsWith(AliasMarker, StringComparison.Ordinal) ? name[AliasMarker.Length..] : null;
            var what = alias is not null ? $"with alias '{alias}'" : $"with a fingerprint starting '{name}'";
            WriteError(new IncusBackupException(ErrorIds.ImageNotFound, ErrorKind.NotFound,
                $"No image {what} was found{(project is null ? "" : $" in project '{project}'")}.", alias ?? name,
                $"List them with: incus image list{(project is null ? " --all-projects" : $" --project {project}")}"));
        }
    }
}
