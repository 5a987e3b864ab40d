package web

import (
	"net/http"
)

// Pages are in Chinese; ?lang=en (remembered in a cookie) switches them to
// English. Names from the scheme (units, indicators, grades) stay as the
// scheme writes them.
var words = map[string][2]string{
	"site":               {"考核台账", "kaohe ledger"},
	"public":             {"考核结果公示", "Published assessment results"},
	"nothing":            {"尚无公布的考核结果", "Nothing published yet"},
	"year":               {"年度", "year"},
	"version":            {"版本", "version"},
	"published_at":       {"公布时间", "published"},
	"covers":             {"依据记录", "events covered"},
	"rank":               {"名次", "rank"},
	"unit":               {"单位", "unit"},
	"composite":          {"综合得分", "composite"},
	"grade":              {"等次", "grade"},
	"basis":              {"等次依据", "why this grade"},
	"teams":              {"领导班子", "leadership teams"},
	"cadres":             {"干部", "cadres"},
	"name":               {"姓名", "name"},
	"verification":       {"核验", "verification"},
	"overdue":            {"逾期未报", "late (past the entry deadline)"},
	"bundle":             {"证据包", "evidence bundle"},
	"bundle_download":    {"下载证据包", "download the evidence bundle"},
	"bundle_signed":      {"签名", "signed by"},
	"bundle_outdated":    {"此证据包核验的是较早的公布版本；其后已公布", "this bundle checks an earlier publication; published since:"},
	"bundle_none":        {"办公室尚未附上证据包（kaohe bundle 生成并签名）", "the office has not attached a bundle yet (made and signed with kaohe bundle)"},
	"bundle_attach":      {"附上 kaohe bundle 生成的证据包", "attach a bundle made with kaohe bundle"},
	"window_notice":      {"公示期", "notice period"},
	"window_appeal":      {"复核申请期", "appeal window"},
	"window_from":        {"自", "from"},
	"window_to":          {"至", "until"},
	"window_open":        {"进行中", "open"},
	"window_closed":      {"已结束", "closed"},
	"window_until":       {"至另行通知", "until closed by the office"},
	"window_open_cmd":    {"开始", "open the"},
	"window_close_cmd":   {"结束", "close the"},
	"digest":             {"结果摘要 SHA-256", "results digest (SHA-256)"},
	"merkle":             {"默克尔根", "Merkle root"},
	"checkpoint":         {"检查点", "checkpoint"},
	"scan":               {"扫码核验", "scan to verify"},
	"print":              {"打印公示", "print this notice"},
	"unsigned":           {"本年度 %d 条记录中有 %d 条未签名：它们记录于本台账建立官员名册之前，没有签名证明由谁作出。", "%[2]d of the year's %[1]d events are unsigned: recorded before the ledger had a roster, nothing proves who made them."},
	"login":              {"登录", "log in"},
	"logout":             {"退出", "log out"},
	"key_file":           {"密钥文件 (SU…)", "key file (SU…)"},
	"key_note":           {"密钥只在本浏览器中使用，从不发送到服务器：页面用它签署登录挑战和您提交的每条命令。", "Your key stays in this browser and is never sent to the server: the page signs the login challenge and each command you submit with it."},
	"office":             {"考核办工作台", "Office dashboard"},
	"progress":           {"录入进度", "entry progress"},
	"provider":           {"录入单位", "provider"},
	"entered":            {"已录入", "entered"},
	"missing":            {"未录入", "missing"},
	"late":               {"逾期", "late"},
	"live":               {"实时排名", "live ranking"},
	"appeals":            {"复核申请", "appeals"},
	"claim":              {"申请理由", "claim"},
	"disputed":           {"争议记录", "disputed events"},
	"state":              {"状态", "state"},
	"open":               {"待复核", "open"},
	"resolved":           {"已复核", "resolved"},
	"whatif":             {"模拟复核结果", "what-if"},
	"resolve":            {"作出复核结论", "resolve"},
	"outcome":            {"结论", "outcome"},
	"reason":             {"理由", "reason"},
	"publish":            {"公布结果", "publish results"},
	"dept":               {"数据录入", "score entry"},
	"indicator":          {"指标", "indicator"},
	"part":               {"部分", "part"},
	"target":             {"目标", "target"},
	"max":                {"上限", "max"},
	"current":            {"当前值", "current"},
	"value":              {"录入值", "value"},
	"submit":             {"签名并提交", "sign and submit"},
	"download":           {"下载 Excel 录入表", "download the Excel sheet"},
	"upload":             {"上传已填写的录入表", "upload a filled sheet"},
	"upload_signed":      {"上传已签名的命令文件", "upload a signed command file"},
	"unitpage":           {"单位考核结果", "unit result"},
	"breakdown":          {"得分构成", "breakdown"},
	"explain":            {"计算过程", "how it adds up"},
	"events":             {"记录", "events"},
	"who":                {"录入人", "who"},
	"when":               {"时间", "when"},
	"type":               {"类型", "type"},
	"old":                {"原值", "old"},
	"new":                {"新值", "new"},
	"file_appeal":        {"申请复核", "file an appeal"},
	"appeal_shut":        {"复核申请期未开放或已结束，现不能申请复核", "the appeal window is not open: no appeal can be filed now"},
	"appeal_year_closed": {"本年度考核已关闭，不再受理复核申请", "the year is closed: no appeal can be filed"},
	"history":            {"历年得分与名次", "composite and rank across years"},
	"inspect":            {"纪检审计", "Inspector's audit"},
	"flags":              {"提示", "flags"},
	"official":           {"官员", "official"},
	"since":              {"起始时间", "since"},
	"filter":             {"筛选", "filter"},
	"signed_by":          {"签名", "signature"},
	"chain":              {"链位置", "chain position"},
	"event":              {"记录详情", "event"},
	"prev":               {"前一条哈希", "previous hash"},
	"seq":                {"序号", "seq"},
	"points":             {"得分", "points"},
	"no_appeals":         {"没有复核申请", "no appeals"},
	"denied":             {"无权访问", "not allowed"},
	"before":             {"复核前", "before"},
	"import":             {"导入指标表", "import the indicator table"},
	"import_file":        {"指标表 (xlsx：指标 indicators、目标 targets 两个工作表)", "indicator table (xlsx: sheets 指标 indicators and 目标 targets)"},
	"moved":              {"变化", "moved"},
	"spread":             {"各指标得分（红点）、满分（框）与同类单位最新公布的得分区间（灰带）", "each indicator's points (dot), its weight (frame) and the spread of its category in the latest publication (band)"},
}

// lang is the request's language: ?lang=, else the cookie, else Chinese.
func lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

func translate(l, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if l == "en" {
		return w[1]
	}
	return w[0]
}
