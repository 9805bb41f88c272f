using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// Fingerprints, prefixes and aliases to images (ResourceSelector.SelectImagesAsync) against the in-memory server:
/// a unique prefix selects, an ambiguous one is a problem naming the images, aliases take wildcards, all images of
/// every project are each chosen once in the project that owns them, and what matches nothing is reported. And
/// image backups by name as Restore-IncusImage finds them (BackupQuery with NamePrefix): a fingerprint by its first
/// digits, an alias whole.
/// </summary>
public sealed class ImageSelectionTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryIncus _incus = new();
    private readonly ResourceSelector _selector;

    public ImageSelectionTests()
    {
        _selector = new ResourceSelector(_incus);
        _incus.ProjectNames.Add("p");
    }

    /// <summary>A 64-digit fingerprint that starts with <paramref name="prefix"/>.</summary>
    private static string Fp(string prefix) => prefix.PadRight(64, '0');

    private void Add(string project, string prefix, params string[] aliases) =>
        _incus.AddImage(project, [("image", [1, 2, 3])], aliases, fingerprint: Fp(prefix));

    private Task<Selection<ImageBackupSource>> SelectAsync(string? project, string[] fingerprints, string[]? aliases = null) =>
        _selector.SelectImagesAsync(fingerprints, aliases ?? [], project, None);

    private static string[] Chosen(Selection<ImageBackupSource> selection) => [.. selection.Targets.Select(t => $"{t.Project}/{t.Fingerprint[..4]}")];

    [Fact]
    public async Task UniquePrefix_SelectsThatImage()
    {
        Add("p", "aa11");
        Add("p", "ab22");

        var selection = await SelectAsync("p", ["aa"]);

        Assert.Equal(["p/aa11"], Chosen(selection));
        Assert.Equal(Fp("aa11"), selection.Targets[0].Fingerprint);
        Assert.Empty(selection.Missing);
        Assert.Empty(selection.EmptyPatterns);
        Assert.Empty(selection.Problems);
    }

    [Fact]
    public async Task WholeFingerprint_SelectsThatImage()
    {
        Add("p", "aa11");
        Add("p", "aa12");

        var selection = await SelectAsync("p", [Fp("aa12")]);

        Assert.Equal(["p/aa12"], Chosen(selection));
        Assert.Empty(selection.Problems);
    }

    [Fact]
    public async Task AmbiguousPrefix_IsAProblemNamingBoth_AndSelectsNeither()
    {
        Add("p", "aa11");
        Add("p", "ab22");
        Add("p", "bb33");

        var selection = await SelectAsync("p", ["a"]);

        Assert.Empty(selection.Targets);
        Assert.Empty(selection.Missing);
        var problem = Assert.Single(selection.Problems);
        Assert.Equal(ErrorIds.AmbiguousFingerprint, problem.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, problem.Kind);
        Assert.Equal("The fingerprint prefix 'a' matches 2 images: aa1100000000, ab2200000000.", problem.Message);
        Assert.Equal("a", problem.Target);
        Assert.Equal("Give more of the fingerprint (incus image list shows them).", problem.RecommendedAction);
    }

    [Fact]
    public async Task AmbiguousPrefix_DoesNotStopTheOtherNames()
    {
        Add("p", "aa11");
        Add("p", "ab22");
        Add("p", "bb33", "base");

        var selection = await SelectAsync("p", ["a", "bb"], ["base"]);

        Assert.Equal(["p/bb33"], Chosen(selection));
        Assert.Equal(ErrorIds.AmbiguousFingerprint, Assert.Single(selection.Problems).ErrorId);
    }

    [Fact]
    public async Task AliasWildcard_SelectsEveryImageWithAMatchingAlias_IgnoringCase()
    {
        Add("p", "cc33", "web-2", "latest");
        Add("p", "aa11", "WEB-1");
        Add("p", "bb22", "db");

        var selection = await SelectAsync("p", [], ["web-*"]);

        Assert.Equal(["p/aa11", "p/cc33"], Chosen(selection));
        Assert.Empty(selection.EmptyPatterns);
    }

    [Fact]
    public async Task LiteralAlias_MatchesExactly_CaseSensitive()
    {
        Add("p", "aa11", "web");
        Add("p", "bb22", "web2");

        var exact = await SelectAsync("p", [], ["web"]);
        var otherCase = await SelectAsync("p", [], ["Web"]);

        Assert.Equal(["p/aa11"], Chosen(exact));
        Assert.Empty(otherCase.Targets);
        Assert.Equal(["Web"], otherCase.Missing);
    }

    [Fact]
    public async Task Misses_LiteralsAreMissing_AnEmptyWildcardIsNot()
    {
        Add("p", "aa11", "web");

        var selection = await SelectAsync("p", ["ff"], ["nope", "zz*"]);

        Assert.Empty(selection.Targets);
        Assert.Equal(["ff", "nope"], selection.Missing);
        Assert.Equal(["zz*"], selection.EmptyPatterns);
        Assert.Empty(selection.Problems);
    }

    [Fact]
    public async Task AnImageNamedSeveralWays_IsChosenOnce()
    {
        Add("p", "aa11", "web", "web-latest");

        var selection = await SelectAsync("p", ["aa", Fp("aa11")], ["web", "web*"]);

        Assert.Equal(["p/aa11"], Chosen(selection));
    }

    [Fact]
    public async Task All_OverEveryProject_ListsEachImageOnceInTheProjectThatOwnsIt()
    {
        // default owns aa11; p has its own images (features.images=true); q and r have none (features.images=false)
        // and so show default's, which must not be backed up again as theirs.
        _incus.ProjectNames.Add("q");
        _incus.ProjectNames.Add("r");
        _incus.ProjectsWithoutImages.Add("q");
        _incus.ProjectsWithoutImages.Add("r");
        Add("default", "aa11", "base");
        Add("p", "bb22", "web");
        Add("p", "cc33");

        var selection = await SelectAsync(null, []);

        Assert.Equal(["default/aa11", "p/bb22", "p/cc33"], Chosen(selection));
        Assert.Empty(selection.Missing);
        Assert.Empty(selection.Problems);
    }

    [Fact]
    public async Task AProjectWithoutItsOwnImages_ChoosesTheDefaultProjectsImages_AsDefaults()
    {
        _incus.ProjectNames.Add("q");
        _incus.ProjectsWithoutImages.Add("q");
        Add("default", "aa11", "base");

        var selection = await SelectAsync("q", [], ["base"]);

        Assert.Equal(["default/aa11"], Chosen(selection));
    }

    [Fact]
    public async Task TheSameImageInTwoProjects_IsNotAmbiguous_AndIsChosenInEach()
    {
        Add("default", "aa11");
        Add("p", "aa11");

        var selection = await SelectAsync(null, ["aa"]);

        Assert.Equal(["default/aa11", "p/aa11"], Chosen(selection));
        Assert.Empty(selection.Problems);
    }

    [Fact]
    public async Task UnknownProject_ThrowsProjectNotFound()
    {
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => SelectAsync("nowhere", ["aa"]));

        Assert.Equal(ErrorIds.ProjectNotFound, e.ErrorId);
        Assert.Equal("Project 'nowhere' not found.", e.Message);
    }

    private static BackupRecord ImageBackup(string prefix, params string[] aliases) => new()
    {
        Kind = BackupKind.Image, Project = "p", Name = Fp(prefix), Version = "20260102T030405Z", Aliases = aliases,
        Timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), Compression = "gzip", Sha256 = Fp(prefix), ArchiveName = "image.tar.gz",
        Location = "", Repository = "dir:/r",
    };

    private static string[] Found(BackupQuery query, params BackupRecord[] records) => [.. query.Apply(records).Select(r => r.Name[..4])];

    [Fact]
    public void BackupsByName_WithNamePrefix_AFingerprintByItsFirstDigits_AnAliasWhole()
    {
        BackupRecord[] backups = [ImageBackup("aa11", "web"), ImageBackup("bb22", "web2"), ImageBackup("cc33", "db")];

        Assert.Equal(["aa11"], Found(new BackupQuery { Names = ["aa"], NamePrefix = true }, backups));
        Assert.Equal(["aa11"], Found(new BackupQuery { Names = [Fp("aa11")], NamePrefix = true }, backups));
        Assert.Equal(["aa11"], Found(new BackupQuery { Names = ["web"], NamePrefix = true }, backups));
        Assert.Equal(["aa11", "bb22"], Found(new BackupQuery { Names = ["web*"], NamePrefix = true }, backups));
        Assert.Empty(Found(new BackupQuery { Names = ["we"], NamePrefix = true }, backups));
        Assert.Empty(Found(new BackupQuery { Names = ["aa"] }, backups));
    }

    [Fact]
    public void AmbiguousPrefixes_APrefixTwoImagesShare_NamesBoth_AWholeNameAnAliasOrAWildcardIsNotAmbiguous()
    {
        BackupRecord[] backups = [ImageBackup("aa11", "web"), ImageBackup("aa22", "aa"), ImageBackup("ab33", "db"), ImageBackup("ab44")];

        (string, string[])[] Ambiguous(params string[] names)
        {
            var query = new BackupQuery { Names = names, NamePrefix = true };
            return [.. query.AmbiguousPrefixes([.. query.Apply(backups)]).Select(a => (a.Prefix, a.Matches.Select(m => m[..4]).ToArray()))];
        }

        Assert.Equal([("ab", new[] { "ab33", "ab44" })], Ambiguous("ab"));
        Assert.Equal([("a", new[] { "aa11", "aa22", "ab33", "ab44" })], Ambiguous("a"));
        Assert.Empty(Ambiguous("aa"));      // the alias "aa" names one image whole, and only that one is found
        Assert.Equal(["aa22"], Found(new BackupQuery { Names = ["aa"], NamePrefix = true }, backups));
        Assert.Empty(Ambiguous("ab3"));
        Assert.Empty(Ambiguous("ab*"));     // a wildcard asks for every match
        Assert.Empty(Ambiguous(Fp("ab44")));
        Assert.Empty(new BackupQuery { Names = ["ab"] }.AmbiguousPrefixes([.. backups]));
    }
}
