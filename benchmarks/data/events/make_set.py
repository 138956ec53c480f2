"""Writes reports.jsonl and gold.jsonl beside this file: fictional reports written for the event set (no third-party text).  Run: python make_set.py DIR"""
import json
import sys

R = []
HOSTS = {"Amnok Letters": "amnokletters.example.org", "압록통신": "amnokletters.example.org",
         "Korea Inside Wire": "koreainsidewire.example.com", "Tumen Valley News": "tumenvalley.example.net",
         "Northern Frontier Daily": "northernfrontier.example.org", "DPRK Ground Report": "groundreport.example.com",
         "북방통신": "bukbang.example.kr"}
KO = {"압록통신", "북방통신"}
def r(id, published, source, title, body):
    R.append({"id": id, "title": title, "published": published, "source": source,
              "url": f"https://{HOSTS[source]}/{'ko' if source in KO else 'en'}/{published}/{id}", "body": body})

# G01 arrest, Hyesan, 2022-09-14: phone brokers. KO original (B), EN version (A), other outlet (C), follow-up (F)
r("ev01b", "2022-09-16", "Amnok Letters", "혜산서 손전화 중개인 4명 보위부에 체포",
  "양강도 혜산시에서 중국 손전화로 외부와 통화를 연결해주던 중개인 4명이 국가보위성에 체포됐다고 현지 소식통이 전했다.\n\n"
  "소식통은 16일 압록통신에 “지난 14일 새벽 혜산시 연봉동에서 보위원들이 한 살림집을 덮쳐 중개인 4명을 체포했다”며 “전파탐지기로 몇 주 동안 추적한 끝에 잡았다”고 말했다.\n\n"
  "이들은 탈북민 가족들에게 한국과의 통화를 연결해주고 수수료를 받아온 것으로 알려졌다. 체포된 4명은 현재 시 보위부 구류장에 갇혀 조사를 받고 있다.\n\n"
  "소식통은 “이번 일로 국경 마을 주민들이 손전화를 모두 숨기고 있다”고 덧붙였다.")
r("ev01a", "2022-09-17", "Amnok Letters", "Four phone brokers arrested in Hyesan",
  "Four brokers who connected calls to South Korea on Chinese mobile phones have been arrested by the Ministry of State Security in Hyesan, Yanggang Province, a local source told Amnok Letters.\n\n"
  "Before dawn on Sept. 14, state security agents burst into a house in Hyesan's Yonbong-dong and arrested the four brokers after tracking their signals with radio detectors for several weeks, the source said on Sept. 16.\n\n"
  "The four are said to have arranged calls between defectors' families and relatives in the South for a fee. They are being held at the city's state security detention center for questioning.\n\n"
  "\"People in the border villages have hidden all their phones since this happened,\" the source added.")
r("ev01c", "2022-09-20", "Korea Inside Wire", "Hyesan crackdown nets phone brokers",
  "North Korea's secret police arrested four people in the border city of Hyesan on September 14 for running an illegal phone service to South Korea, according to a resident of Yanggang Province.\n\n"
  "The Bowibu had been watching the group for about a month, the resident said. Agents seized six Chinese phones and a large sum of yuan during the raid.\n\n"
  "Phone brokers charge families up to 30 percent of every remittance they help arrange, and the trade has grown as the border has stayed sealed.\n\n"
  "The resident said the arrests were being discussed in every market in the city as a warning.")
r("ev01f", "2022-10-21", "Amnok Letters", "Hyesan phone brokers sentenced",
  "The four phone brokers arrested in Hyesan on Sept. 14 have been sentenced, a source in Yanggang Province told Amnok Letters.\n\n"
  "On Oct. 18, the provincial court sentenced the leader of the group to seven years in a labor camp, the source said, while the other three were sent to a labor brigade for six months each.\n\n"
  "The court ruled that the leader had acted as a channel for \"enemy broadcasts\" by relaying calls from South Korea, the source said.\n\n"
  "The verdicts were read out to residents at inminban meetings the following day.")

# G02 public trial, Chongjin, 2023-05-09
r("ev02a", "2023-05-11", "Tumen Valley News", "Two tried in Chongjin stadium for selling South Korean dramas",
  "Authorities in Chongjin, North Hamgyong Province, held a public trial at a city stadium on May 9 for two men accused of selling South Korean dramas on USB drives, a source in the city said.\n\n"
  "About 3,000 residents and students were made to attend. One of the men was sentenced to death and the other to 15 years in a labor camp, the source said.\n\n"
  "The Ministry of State Security said the pair had sold more than 500 drives in the city's Sunam market over two years.\n\n"
  "\"People went home in silence,\" the source said.")
r("ev02b", "2023-05-13", "Northern Frontier Daily", "Chongjin open-air trial hands down death sentence over K-dramas",
  "Authorities in Chongjin held an open-air public trial on May 9 for two residents who distributed South Korean films, a resident of North Hamgyong Province told Northern Frontier Daily.\n\n"
  "The trial, held at the stadium in Sunam district, ended with a death sentence for one of the two men and 15 years in a labor camp for the other.\n\n"
  "State security officials told the crowd that the two had copied and sold hundreds of USB drives, the resident said.")
r("ev02c", "2023-05-12", "북방통신", "청진 체육관서 공개재판…한국 드라마 판매 2명",
  "함경북도 청진시에서 한국 드라마를 USB에 담아 판매한 남성 2명에 대한 공개재판이 열렸다고 현지 소식통이 전했다.\n\n"
  "소식통은 “지난 9일 수남구역 체육관에서 보위부가 공개재판을 열고 1명에게 사형, 1명에게 노동교화형 15년을 선고했다”고 말했다.\n\n"
  "소식통에 따르면 재판에는 주민과 학생 3천여 명이 동원됐다. 보위부는 이들이 2년 동안 USB 500여 개를 팔았다고 밝혔다.")

# G03 repatriation, Onsong, 2021-11-23
r("ev03a", "2021-11-25", "Tumen Valley News", "China returns 25 North Koreans through Namyang",
  "Chinese authorities handed 25 North Koreans back across the Tumen River at the Namyang bridge in Onsong County on Nov. 23, a source in North Hamgyong Province said.\n\n"
  "The group had been held in a detention center in Tumen city for months. They were taken by truck to the Onsong County state security department, the source said.\n\n"
  "Those caught trying to reach South Korea face long terms in a political prison camp.")
r("ev03b", "2021-11-29", "Korea Inside Wire", "Forced repatriation at Tumen River bridge",
  "A group of 25 North Korean defectors was forcibly repatriated from China through the Namyang crossing in Onsong on November 23, according to a resident of the area.\n\n"
  "The resident said border guards kept people away from the bridge during the handover, which took about an hour.\n\n"
  "Human rights groups have repeatedly urged Beijing to stop returning North Koreans.")

# G04 crackdown, Manpo, 2024-02-20
r("ev04a", "2024-02-22", "Amnok Letters", "Inspection team raids Manpo market",
  "A joint inspection team raided the main market in Manpo, Chagang Province, on Feb. 20, seizing Chinese cosmetics and clothing from dozens of stalls, a source in the province said.\n\n"
  "The team, made up of officers from the Ministry of Social Security and the provincial party committee, confiscated goods worth more than 30 million won, the source said.\n\n"
  "Traders were told that selling foreign goods is now treated as smuggling.")
r("ev04b", "2024-02-24", "Northern Frontier Daily", "Manpo traders lose goods in market raid",
  "Social security officers carried out a sweeping inspection in Manpo on February 20, searching traders' stalls and confiscating Chinese-made goods, a resident of Chagang Province said.\n\n"
  "The resident said the raid began at 10 a.m. and lasted until the market closed. \"Some women cried as their whole stock was loaded onto trucks,\" the resident said.")
r("ev04c", "2024-02-26", "DPRK Ground Report", "Chagang authorities crack down on foreign goods",
  "On Feb. 20, an inspection team from the Ministry of Social Security searched traders in Manpo, Chagang Province, and confiscated Chinese products, a source said.\n\n"
  "The Ministry of Social Security also set up checkpoints on the road from Manpo to Kanggye to search traders' bags, the source said.")

# G05 mobilization, Hamhung, 2023-07-28 (KO original A, EN version B)
r("ev05a", "2023-07-31", "압록통신", "함흥 주민 수천 명 제방 복구에 동원",
  "함경남도 함흥시 주민들이 폭우로 무너진 성천강 제방을 복구하는 작업에 대거 동원되고 있다고 현지 소식통이 전했다.\n\n"
  "소식통은 30일 압록통신에 “지난 28일부터 시당위원회 지시로 공장 노동자와 인민반 주민 5천여 명이 제방 공사에 동원됐다”고 말했다.\n\n"
  "소식통은 “주민들은 삽과 들것을 직접 가지고 나와야 하고, 하루라도 빠지면 벌금을 내야 한다”고 덧붙였다.")
r("ev05b", "2023-07-31", "Amnok Letters", "Thousands of Hamhung residents mobilized to repair river dikes",
  "Residents of Hamhung, South Hamgyong Province, have been mobilized in large numbers to rebuild the Songchon River dikes that collapsed in heavy rain, a local source told Amnok Letters.\n\n"
  "\"Since July 28, more than 5,000 factory workers and inminban residents have been mobilized for the dike work on the orders of the city party committee,\" the source said on July 30.\n\n"
  "Residents must bring their own shovels and stretchers, and those who miss a day are fined, the source added.")

# G06 meeting, Kanggye, 2022-11-03
r("ev06a", "2022-11-05", "DPRK Ground Report", "Kanggye factories hold lectures on youth law",
  "Factories and enterprises in Kanggye, Chagang Province, held lecture meetings on Nov. 3 to explain the Youth Education Guarantee Law, a source in the city said.\n\n"
  "Lecturers from the city party committee warned that young people caught speaking in the South Korean style would be sent to labor brigades, the source said.")
r("ev06b", "2022-11-08", "Korea Inside Wire", "Lectures warn Kanggye workers on South Korean speech",
  "Workers at munitions factories in Kanggye were summoned to lectures on November 3 about the law on educating young people, a resident of Chagang Province said.\n\n"
  "The lectures, organized by the city party committee, stressed that parents would also be punished if their children used South Korean expressions, the resident said.")

# G07 smuggling, Uiju, 2024-06-11
r("ev07a", "2024-06-13", "Amnok Letters", "Smuggling boat with copper seized on the Yalu",
  "Border guards in Uiju County, North Pyongan Province, seized a boat carrying two tons of copper to China on the night of June 11, a source in the province said.\n\n"
  "Three smugglers on board were detained and handed over to the county state security department, the source said.\n\n"
  "The copper had been stripped from power lines and machinery at local factories.")
r("ev07b", "2024-06-15", "Tumen Valley News", "Uiju copper smugglers caught",
  "Three people caught smuggling copper across the Yalu River were arrested in Uiju on June 11, according to a resident of North Pyongan Province.\n\n"
  "Guards stopped their boat near the riverbank and found about two tons of copper wire hidden under fishing nets, the resident said.")

# G08 punishment, Musan, 2022-03
r("ev08a", "2022-03-24", "Northern Frontier Daily", "Five Musan miners sent to labor camp for selling ore",
  "Five workers at the Musan iron mine in North Hamgyong Province were sentenced earlier this month to five years in a labor camp for selling iron ore to Chinese traders, a source said.\n\n"
  "The Ministry of Social Security said the five had sold more than 20 tons of ore over the winter, the source said.")
r("ev08b", "2022-03-28", "DPRK Ground Report", "Musan mine workers punished over ore sales",
  "In March, a court in Musan County sentenced five mine workers to five years each in a labor camp for secretly selling iron ore across the border, a resident of North Hamgyong Province told DPRK Ground Report.\n\n"
  "The resident said the mine's managers were also questioned by social security officers.")

# G09 order, Wonsan, 2023-10-02
r("ev09a", "2023-10-05", "Korea Inside Wire", "Wonsan ordered to clear private plots for tourist zone",
  "The Kangwon provincial party committee on Oct. 2 ordered residents of Wonsan's coastal neighborhoods to clear their private vegetable plots by the end of the month to make way for a tourist zone, a source in the province said.\n\n"
  "Families that refuse will lose their housing permits, the source said.")
r("ev09b", "2023-10-07", "Amnok Letters", "Wonsan residents told to give up garden plots",
  "The provincial party committee issued an order on October 2 telling residents near the Wonsan coast to hand over their private plots for a tourism development, a resident of Kangwon Province told Amnok Letters.\n\n"
  "Inminban heads passed the order on to every household, the resident said.")

# G10 arrest, Haeju, 2021-06-22; A, B, C + follow-up F
r("ev10a", "2021-06-24", "Northern Frontier Daily", "Six Haeju fishermen arrested over contact with South Korean boat",
  "The Ministry of State Security arrested six fishermen in Haeju, South Hwanghae Province, on June 22 after they were accused of trading fish with a South Korean boat at sea, a source in the province said.\n\n"
  "The fishermen were taken from the port to the provincial state security bureau, the source said.")
r("ev10b", "2021-06-26", "Korea Inside Wire", "Haeju fishermen held by secret police",
  "Six fishermen from Haeju were detained by state security agents on June 22 on suspicion of contacting a South Korean vessel, a resident of South Hwanghae Province said.\n\n"
  "Their boat was confiscated and the port was closed to fishing for a week, the resident said.")
r("ev10c", "2021-06-29", "DPRK Ground Report", "South Hwanghae tightens sea border after arrests",
  "Authorities in South Hwanghae Province have tightened controls on fishing boats after six fishermen were arrested in Haeju on June 22, a source told DPRK Ground Report.\n\n"
  "Fishing boats must now carry a security official when they leave the port, the source said.")
r("ev10f", "2021-07-29", "Northern Frontier Daily", "Haeju fishermen sentenced to labor camp",
  "The six fishermen arrested in Haeju on June 22 have been sentenced to ten years in a labor camp each, a source in South Hwanghae Province told Northern Frontier Daily.\n\n"
  "The provincial court handed down the sentences on July 26 after finding them guilty of contacting the enemy, the source said.")

# G11 public trial, Pyongsong, 2024-09-05 (KO original A, EN version B, other outlet C)
r("ev11a", "2024-09-07", "압록통신", "평성서 장사꾼 3명 공개재판",
  "평안남도 평성시에서 외화로 거래한 장사꾼 3명에 대한 공개재판이 열렸다고 현지 소식통이 전했다.\n\n"
  "소식통은 7일 압록통신에 “지난 5일 평성시장 앞 광장에서 사회안전성이 공개재판을 열고 3명 모두에게 노동교화형 8년을 선고했다”고 말했다.\n\n"
  "소식통은 “이들이 달러로 물건값을 받았다는 것이 처벌 이유였다”고 설명했다.")
r("ev11b", "2024-09-08", "Amnok Letters", "Three traders tried in public in Pyongsong",
  "A public trial was held in Pyongsong, South Pyongan Province, for three traders who did business in foreign currency, a local source told Amnok Letters.\n\n"
  "\"On Sept. 5, the Ministry of Social Security held a public trial in the square in front of Pyongsong market and sentenced all three to eight years in a labor camp,\" the source said on Sept. 7.\n\n"
  "The reason for the punishment was that they took payment in dollars, the source explained.")
r("ev11c", "2024-09-12", "Tumen Valley News", "Currency traders sentenced at Pyongsong open-air trial",
  "Three traders were sentenced to eight years of reform through labor at an open-air trial outside the Pyongsong market on September 5, a resident of South Pyongan Province said.\n\n"
  "The resident said thousands of market traders were made to watch.")

# G12 crackdown, Sariwon, 2022-12-12
r("ev12a", "2022-12-14", "Korea Inside Wire", "Group 109 searches homes in Sariwon",
  "Group 109 inspectors began unannounced searches of homes in Sariwon, North Hwanghae Province, on Dec. 12, looking for foreign videos and memory cards, a source in the city said.\n\n"
  "The searches are carried out at night, and inspectors check every television and radio, the source said.")
r("ev12b", "2022-12-16", "Northern Frontier Daily", "Night house searches in Sariwon",
  "Since December 12, Group 109 has been searching homes in Sariwon at night for South Korean videos, a resident of North Hwanghae Province told Northern Frontier Daily.\n\n"
  "Residents have started burning USB drives and memory cards, the resident said.")

# G13 border crossing, Kimjongsuk, 2024-03-09
r("ev13a", "2024-03-12", "Amnok Letters", "Family of three crosses the Yalu in Kimjongsuk County",
  "A family of three from Kimjongsuk County, Yanggang Province, crossed the Yalu River into China on the night of March 9, a source in the province said.\n\n"
  "Border guards on duty that night have been detained for questioning by the state security department, the source said.")
r("ev13b", "2024-03-15", "DPRK Ground Report", "Yanggang border unit punished after family escapes",
  "Three members of one family escaped across the Yalu from Kimjongsuk County on March 9, a resident of Yanggang Province said.\n\n"
  "The escape has led to an inspection of the whole border unit in the county, the resident said.")

# G14 arrest, Rason, 2022-05-17; A, B + follow-up F
r("ev14a", "2022-05-19", "Tumen Valley News", "Two Rason customs officers arrested for bribery",
  "Two customs officers at Rajin port in Rason were arrested by the Ministry of State Security on May 17 for taking bribes from Chinese traders, a source in Rason said.\n\n"
  "The officers had let through cargo without inspection in exchange for cash, the source said.")
r("ev14b", "2022-05-23", "Korea Inside Wire", "Rason customs officials detained",
  "State security agents detained two customs officials in Rason on May 17 on suspicion of accepting bribes, according to a resident of the city.\n\n"
  "The resident said the customs office has been closed for an internal investigation.")
r("ev14f", "2022-06-24", "Tumen Valley News", "Rason customs officers sentenced",
  "The two customs officers arrested in Rason on May 17 were sentenced on June 21 to twelve years in a labor camp, a source in Rason told Tumen Valley News.\n\n"
  "Their families were expelled from the city, the source said.")

# G15 propaganda, Tanchon, 2023-08-21
r("ev15a", "2023-08-23", "DPRK Ground Report", "Tanchon miners forced into self-criticism sessions",
  "Workers at the Tanchon magnesia mine in South Hamgyong Province were made to attend self-criticism sessions on Aug. 21 after the mine missed its production target, a source said.\n\n"
  "Each work team had to confess its failings in front of party officials, the source said.")
r("ev15b", "2023-08-26", "Northern Frontier Daily", "Self-criticism meetings at Tanchon mine",
  "Miners in Tanchon were gathered for ideological struggle sessions on August 21 over the mine's failure to meet its plan, a resident of South Hamgyong Province said.\n\n"
  "Party officials told the miners they would lose their rations if output did not improve, the resident said.")

# G16 punishment, Sunchon, 2024-01-15 (EN original A, KO version B)
r("ev16a", "2024-01-17", "Amnok Letters", "Eight Sunchon market managers dismissed and expelled from the party",
  "Eight managers of markets in Sunchon, South Pyongan Province, were dismissed and expelled from the party on Jan. 15 for allowing private grain sales, a local source told Amnok Letters.\n\n"
  "The city party committee announced the punishment at a meeting of market officials, the source said.")
r("ev16b", "2024-01-18", "압록통신", "순천 시장관리원 8명 철직·출당",
  "평안남도 순천시의 시장관리원 8명이 개인 양곡 판매를 허용했다는 이유로 철직되고 출당 처벌을 받았다고 현지 소식통이 전했다.\n\n"
  "소식통은 “지난 15일 시당위원회가 시장 간부 회의에서 이들에 대한 처벌을 발표했다”고 말했다.")

# Look-alikes: same type and province as a group report, another event
r("lk01", "2022-09-05", "Korea Inside Wire", "Herb smugglers detained in Hyesan",
  "Three people were arrested by state security agents in Hyesan, Yanggang Province, on Sept. 2 for smuggling medicinal herbs to China, a resident said.\n\n"
  "The herbs, mostly wild ginseng, were found hidden in a coal truck, the resident said.")
r("lk02", "2023-06-22", "Tumen Valley News", "Public trial of drug dealers in Chongjin",
  "A public trial was held in Chongjin, North Hamgyong Province, on June 20 for four people accused of selling methamphetamine, a source in the city said.\n\n"
  "All four were sentenced to ten years in a labor camp, the source said.")
r("lk03", "2021-12-17", "Northern Frontier Daily", "Defector group returned via Onsong",
  "Chinese police returned eight North Koreans to Onsong County in North Hamgyong Province on Dec. 15, a source in the area said.\n\n"
  "The eight had been caught in Yanji in the autumn, the source said.")
r("lk04", "2024-03-16", "DPRK Ground Report", "Manpo railway station checkpoint tightened",
  "Officers of the Ministry of Social Security began searching every passenger at Manpo railway station on March 14, a source in Chagang Province said.\n\n"
  "They are looking for Chinese medicine and cash carried by traders, the source said.")
r("lk05", "2023-09-06", "Korea Inside Wire", "Hamhung students mobilized for harvest",
  "University students in Hamhung, South Hamgyong Province, were mobilized on Sept. 4 to help bring in the corn harvest at nearby farms, a source said.\n\n"
  "About 2,000 students will stay on the farms for a month, the source said.")
r("lk06", "2022-12-09", "Amnok Letters", "Kanggye holds meeting on winter fuel",
  "The Kanggye city people's committee called a meeting of inminban heads on Dec. 7 to announce winter coal rations, a source in Chagang Province said.\n\n"
  "Each household will get only half a ton of coal this winter, the source said.")
r("lk07", "2024-06-27", "Northern Frontier Daily", "Uiju residents caught smuggling medicine",
  "Two residents of Uiju County, North Pyongan Province, were caught on June 25 bringing Chinese antibiotics across the Yalu River, a source said.\n\n"
  "The medicine was seized by border guards and the two were handed to the county police, the source said.")
r("lk08", "2022-05-26", "Tumen Valley News", "Musan teachers sent to labor brigade",
  "Two teachers in Musan County, North Hamgyong Province, were sent to a labor brigade for six months in May for collecting money from students' parents, a source said.\n\n"
  "The county education department said the teachers had taken bribes for school places, the source said.")
r("lk09", "2023-11-22", "DPRK Ground Report", "Wonsan factories told to send workers to power station",
  "The Kangwon provincial party committee on Nov. 20 ordered factories in Wonsan to send a tenth of their workers to a power station construction site, a source in the province said.\n\n"
  "Factories that fail to send enough workers will lose fuel supplies, the source said.")
r("lk10", "2021-08-02", "Korea Inside Wire", "Haeju traders arrested over smuggled rice",
  "Police in Haeju, South Hwanghae Province, arrested three rice traders on July 30 for buying grain from a military unit, a resident said.\n\n"
  "The traders were taken to the provincial social security bureau, the resident said.")
r("lk11", "2024-10-19", "Tumen Valley News", "Public trial in Pyongsong for theft of state property",
  "A public trial was held in Pyongsong, South Pyongan Province, on Oct. 17 for two factory managers accused of stealing state property, a source said.\n\n"
  "One was sentenced to twelve years in a labor camp and the other to seven years, the source said.")
r("lk12", "2022-12-29", "Amnok Letters", "Sariwon market searched for South Korean goods",
  "Officers searched the Sariwon market in North Hwanghae Province on Dec. 27 for South Korean products, seizing rice cookers and cosmetics, a source said.\n\n"
  "Traders whose goods were seized were fined, the source said.")
r("lk13", "2024-04-05", "Korea Inside Wire", "Soldier defects across the Yalu in Kimjongsuk County",
  "A border guard soldier crossed the Yalu River into China from Kimjongsuk County, Yanggang Province, on April 2, a source in the province said.\n\n"
  "Chinese police are searching for the soldier, the source said.")
r("lk14", "2022-05-30", "DPRK Ground Report", "Seven Rason workers detained after fight with Chinese managers",
  "Seven workers at a Chinese-invested factory in Rason were detained by state security agents in May after a fight with their Chinese managers, a source in Rason said.\n\n"
  "The factory has been closed since then, the source said.")
r("lk15", "2023-09-14", "Amnok Letters", "Tanchon farmers made to study leader's speech",
  "Farmers in Tanchon, South Hamgyong Province, have been made to study a speech by the leader every evening since Sept. 11, a source said.\n\n"
  "Those who cannot recite the speech are criticized at the next meeting, the source said.")
r("lk16", "2024-02-07", "Northern Frontier Daily", "Sunchon factory managers fined",
  "Three factory managers in Sunchon, South Pyongan Province, were fined 500,000 won each on Feb. 5 for failing to deliver cement to a state project, a source said.\n\n"
  "The city party committee also issued them warnings, the source said.")

groups = {
    "E01": ("arrest", ["ev01b", "ev01a", "ev01c", "ev01f"]),
    "E02": ("public_trial", ["ev02a", "ev02b", "ev02c"]),
    "E03": ("border_crossing", ["ev03a", "ev03b"]),
    "E04": ("crackdown", ["ev04a", "ev04b", "ev04c"]),
    "E05": ("mobilization", ["ev05a", "ev05b"]),
    "E06": ("meeting", ["ev06a", "ev06b"]),
    "E07": ("smuggling", ["ev07a", "ev07b"]),
    "E08": ("punishment", ["ev08a", "ev08b"]),
    "E09": ("order", ["ev09a", "ev09b"]),
    "E10": ("arrest", ["ev10a", "ev10b", "ev10c", "ev10f"]),
    "E11": ("public_trial", ["ev11a", "ev11b", "ev11c"]),
    "E12": ("crackdown", ["ev12a", "ev12b"]),
    "E13": ("border_crossing", ["ev13a", "ev13b"]),
    "E14": ("arrest", ["ev14a", "ev14b", "ev14f"]),
    "E15": ("propaganda", ["ev15a", "ev15b"]),
    "E16": ("punishment", ["ev16a", "ev16b"]),
}
gold = [{"kind": "event", "event": e, "type": t, "reports": rs} for e, (t, rs) in groups.items()]
gold += [{"kind": "translation", "report": a, "translation_of": b} for a, b in
         [("ev01a", "ev01b"), ("ev05b", "ev05a"), ("ev11b", "ev11a"), ("ev16b", "ev16a")]]
gold += [{"kind": "follows", "report": a, "type": "punishment", "follows": e} for a, e in
         [("ev01f", "E01"), ("ev10f", "E10"), ("ev14f", "E14")]]
gold += [{"kind": "lookalike", "reports": [f"lk{i:02d}", groups[f"E{i:02d}"][1][0]], "type": groups[f"E{i:02d}"][0]}
         for i in range(1, 17)]
out = sys.argv[1]
with open(f"{out}/reports.jsonl", "w", encoding="utf-8") as fh:
    for x in R:
        fh.write(json.dumps(x, ensure_ascii=False) + "\n")
with open(f"{out}/gold.jsonl", "w", encoding="utf-8") as fh:
    for x in gold:
        fh.write(json.dumps(x, ensure_ascii=False) + "\n")
print(len(R), "reports", len(gold), "gold lines")
