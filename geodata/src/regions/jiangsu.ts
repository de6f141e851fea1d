// Jiangsu's current administrative divisions (GB/T 2260 codes, 2024): province, 13 cities,
// 95 county-level districts. Names and codes are public facts; geometry comes from
// geodata/data/jiangsu-districts.geojson (see build-regions.ts and geodata/SOURCES.md).

export const PROVINCE = { adcode: 320000, name: '江苏省', nameEn: 'Jiangsu' } as const;

export interface CityInfo {
  adcode: number;
  name: string;
  nameEn: string;
}
export interface DistrictInfo {
  adcode: number;
  name: string;
  city: number;
}

export const CITIES: readonly CityInfo[] = [
  { adcode: 320100, name: '南京市', nameEn: "Nanjing" },
  { adcode: 320200, name: '无锡市', nameEn: "Wuxi" },
  { adcode: 320300, name: '徐州市', nameEn: "Xuzhou" },
  { adcode: 320400, name: '常州市', nameEn: "Changzhou" },
  { adcode: 320500, name: '苏州市', nameEn: "Suzhou" },
  { adcode: 320600, name: '南通市', nameEn: "Nantong" },
  { adcode: 320700, name: '连云港市', nameEn: "Lianyungang" },
  { adcode: 320800, name: '淮安市', nameEn: "Huai'an" },
  { adcode: 320900, name: '盐城市', nameEn: "Yancheng" },
  { adcode: 321000, name: '扬州市', nameEn: "Yangzhou" },
  { adcode: 321100, name: '镇江市', nameEn: "Zhenjiang" },
  { adcode: 321200, name: '泰州市', nameEn: "Taizhou" },
  { adcode: 321300, name: '宿迁市', nameEn: "Suqian" },
];

export const DISTRICTS: readonly DistrictInfo[] = [
  { adcode: 320102, name: '玄武区', city: 320100 },
  { adcode: 320104, name: '秦淮区', city: 320100 },
  { adcode: 320105, name: '建邺区', city: 320100 },
  { adcode: 320106, name: '鼓楼区', city: 320100 },
  { adcode: 320111, name: '浦口区', city: 320100 },
  { adcode: 320113, name: '栖霞区', city: 320100 },
  { adcode: 320114, name: '雨花台区', city: 320100 },
  { adcode: 320115, name: '江宁区', city: 320100 },
  { adcode: 320116, name: '六合区', city: 320100 },
  { adcode: 320117, name: '溧水区', city: 320100 },
  { adcode: 320118, name: '高淳区', city: 320100 },
  { adcode: 320205, name: '锡山区', city: 320200 },
  { adcode: 320206, name: '惠山区', city: 320200 },
  { adcode: 320211, name: '滨湖区', city: 320200 },
  { adcode: 320213, name: '梁溪区', city: 320200 },
  { adcode: 320214, name: '新吴区', city: 320200 },
  { adcode: 320281, name: '江阴市', city: 320200 },
  { adcode: 320282, name: '宜兴市', city: 320200 },
  { adcode: 320302, name: '鼓楼区', city: 320300 },
  { adcode: 320303, name: '云龙区', city: 320300 },
  { adcode: 320305, name: '贾汪区', city: 320300 },
  { adcode: 320311, name: '泉山区', city: 320300 },
  { adcode: 320312, name: '铜山区', city: 320300 },
  { adcode: 320321, name: '丰县', city: 320300 },
  { adcode: 320322, name: '沛县', city: 320300 },
  { adcode: 320324, name: '睢宁县', city: 320300 },
  { adcode: 320381, name: '新沂市', city: 320300 },
  { adcode: 320382, name: '邳州市', city: 320300 },
  { adcode: 320402, name: '天宁区', city: 320400 },
  { adcode: 320404, name: '钟楼区', city: 320400 },
  { adcode: 320411, name: '新北区', city: 320400 },
  { adcode: 320412, name: '武进区', city: 320400 },
  { adcode: 320413, name: '金坛区', city: 320400 },
  { adcode: 320481, name: '溧阳市', city: 320400 },
  { adcode: 320505, name: '虎丘区', city: 320500 },
  { adcode: 320506, name: '吴中区', city: 320500 },
  { adcode: 320507, name: '相城区', city: 320500 },
  { adcode: 320508, name: '姑苏区', city: 320500 },
  { adcode: 320509, name: '吴江区', city: 320500 },
  { adcode: 320581, name: '常熟市', city: 320500 },
  { adcode: 320582, name: '张家港市', city: 320500 },
  { adcode: 320583, name: '昆山市', city: 320500 },
  { adcode: 320585, name: '太仓市', city: 320500 },
  { adcode: 320612, name: '通州区', city: 320600 },
  { adcode: 320613, name: '崇川区', city: 320600 },
  { adcode: 320614, name: '海门区', city: 320600 },
  { adcode: 320623, name: '如东县', city: 320600 },
  { adcode: 320681, name: '启东市', city: 320600 },
  { adcode: 320682, name: '如皋市', city: 320600 },
  { adcode: 320685, name: '海安市', city: 320600 },
  { adcode: 320703, name: '连云区', city: 320700 },
  { adcode: 320706, name: '海州区', city: 320700 },
  { adcode: 320707, name: '赣榆区', city: 320700 },
  { adcode: 320722, name: '东海县', city: 320700 },
  { adcode: 320723, name: '灌云县', city: 320700 },
  { adcode: 320724, name: '灌南县', city: 320700 },
  { adcode: 320803, name: '淮安区', city: 320800 },
  { adcode: 320804, name: '淮阴区', city: 320800 },
  { adcode: 320812, name: '清江浦区', city: 320800 },
  { adcode: 320813, name: '洪泽区', city: 320800 },
  { adcode: 320826, name: '涟水县', city: 320800 },
  { adcode: 320830, name: '盱眙县', city: 320800 },
  { adcode: 320831, name: '金湖县', city: 320800 },
  { adcode: 320902, name: '亭湖区', city: 320900 },
  { adcode: 320903, name: '盐都区', city: 320900 },
  { adcode: 320904, name: '大丰区', city: 320900 },
  { adcode: 320921, name: '响水县', city: 320900 },
  { adcode: 320922, name: '滨海县', city: 320900 },
  { adcode: 320923, name: '阜宁县', city: 320900 },
  { adcode: 320924, name: '射阳县', city: 320900 },
  { adcode: 320925, name: '建湖县', city: 320900 },
  { adcode: 320981, name: '东台市', city: 320900 },
  { adcode: 321002, name: '广陵区', city: 321000 },
  { adcode: 321003, name: '邗江区', city: 321000 },
  { adcode: 321012, name: '江都区', city: 321000 },
  { adcode: 321023, name: '宝应县', city: 321000 },
  { adcode: 321081, name: '仪征市', city: 321000 },
  { adcode: 321084, name: '高邮市', city: 321000 },
  { adcode: 321102, name: '京口区', city: 321100 },
  { adcode: 321111, name: '润州区', city: 321100 },
  { adcode: 321112, name: '丹徒区', city: 321100 },
  { adcode: 321181, name: '丹阳市', city: 321100 },
  { adcode: 321182, name: '扬中市', city: 321100 },
  { adcode: 321183, name: '句容市', city: 321100 },
  { adcode: 321202, name: '海陵区', city: 321200 },
  { adcode: 321203, name: '高港区', city: 321200 },
  { adcode: 321204, name: '姜堰区', city: 321200 },
  { adcode: 321281, name: '兴化市', city: 321200 },
  { adcode: 321282, name: '靖江市', city: 321200 },
  { adcode: 321283, name: '泰兴市', city: 321200 },
  { adcode: 321302, name: '宿城区', city: 321300 },
  { adcode: 321311, name: '宿豫区', city: 321300 },
  { adcode: 321322, name: '沭阳县', city: 321300 },
  { adcode: 321323, name: '泗阳县', city: 321300 },
  { adcode: 321324, name: '泗洪县', city: 321300 },
];

/**
 * Codes in the source package (a ~2017 snapshot) that are no longer current, with the
 * change that retired them. 港闸区 merged into 崇川区 (2020), hence two codes → 320613.
 */
export const STALE_ADCODES: Readonly<Record<number, { adcode: number; why: string }>> = {
  320602: { adcode: 320613, why: '崇川区 re-coded when 港闸区 merged into it (2020)' },
  320611: { adcode: 320613, why: '港闸区 merged into 崇川区 (2020)' },
  320684: { adcode: 320614, why: '海门市 became 海门区 (2020)' },
  320621: { adcode: 320685, why: '海安县 became 海安市 (2018)' },
  320802: { adcode: 320812, why: '清江浦区 carries 320812 since 清河区 and 清浦区 merged (2016)' },
};

