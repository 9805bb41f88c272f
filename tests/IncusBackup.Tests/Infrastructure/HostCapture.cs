using System.Management.Automation;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>What reached the test host between a <see cref="HostRecordingMark"/> and now.</summary>
public sealed record HostCapture(
    IReadOnlyList<string> Lines,
    IReadOnlyList<string> WhatIfLines,
    IReadOnlyList<string> VerboseLines,
    IReadOnlyList<string> WarningLines,
    IReadOnlyList<string> ErrorLines,
    IReadOnlyList<string> DebugLines,
    IReadOnlyList<InformationRecord> InformationRecords,
    IReadOnlyList<ProgressRecord> ProgressRecords,
    IReadOnlyList<HostPrompt> Prompts);
